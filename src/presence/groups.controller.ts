import { BadRequestException, Controller, Get, Inject, Param, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiProperty, ApiTags } from '@nestjs/swagger';
import { AuthGuard } from '../auth/auth.guard';
import { ApiErrors, ApiToken } from '../docs/api-errors';
import { isGroupName } from '../layer/group-name';
import { Presence } from '../layer/presence';

export class GroupPresence {
  @ApiProperty({ example: 'chat_all_data' })
  group!: string;

  @ApiProperty({ type: 'integer', description: 'sockets in the group, on every live instance', example: 3 })
  connections!: number;
}

/**
 * `GET /api/groups/:group`: sockets in a layer group across every live instance. Group names are
 * the layer's: `chat_all_data`, `push.<user>`, `chat.<a>_<b>`, `room.<room>`.
 */
@ApiTags('presence')
@ApiToken()
@Controller('api/groups')
@UseGuards(AuthGuard)
export class GroupsController {
  constructor(@Inject(Presence) private readonly members: Presence) {}

  @Get(':group')
  @ApiOperation({
    summary: 'How many sockets a group has, across every live instance',
    description: 'Any valid token.',
  })
  @ApiParam({
    name: 'group',
    schema: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,160}$' },
    description: 'a layer group: `chat_all_data`, `push.<user>`, `chat.<a>_<b>`, `room.<room>`',
  })
  @ApiOkResponse({ type: GroupPresence })
  @ApiErrors([400, 401, 429, 503], {
    400: 'a group name that is not 1-160 characters of `[A-Za-z0-9_.-]`',
    503: 'the Redis channel layer is unreachable, or the instance is shutting down',
  })
  async presence(@Param('group') group: string): Promise<GroupPresence> {
    if (!isGroupName(group)) throw new BadRequestException('group must be 1-160 characters of [A-Za-z0-9_.-]');
    return { group, connections: await this.members.countMembers(group) };
  }
}
