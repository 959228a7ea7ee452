import { BadRequestException, Controller, Get, Inject, Param, UseGuards } from '@nestjs/common';
import { AuthGuard } from '../auth/auth.guard';
import { isGroupName } from '../layer/group-name';
import { Presence } from '../layer/presence';

export interface GroupPresence {
  group: string;
  connections: number;
}

/**
 * `GET /api/groups/:group`: sockets in a layer group across every live instance. Group names are
 * the layer's: `chat_all_data`, `push.<user>`, `chat.<a>_<b>`, `room.<room>`.
 */
@Controller('api/groups')
@UseGuards(AuthGuard)
export class GroupsController {
  constructor(@Inject(Presence) private readonly members: Presence) {}

  @Get(':group')
  async presence(@Param('group') group: string): Promise<GroupPresence> {
    if (!isGroupName(group)) throw new BadRequestException('group must be 1-160 characters of [A-Za-z0-9_.-]');
    return { group, connections: await this.members.countMembers(group) };
  }
}
