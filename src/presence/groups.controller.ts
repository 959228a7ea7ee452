import { BadRequestException, Controller, Get, Inject, Param, UseGuards } from '@nestjs/common';
import { AuthGuard } from '../auth/auth.guard';
import { ChannelLayer } from '../layer/channel-layer';
import { isGroupName } from '../layer/group-name';

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
  constructor(@Inject(ChannelLayer) private readonly layer: ChannelLayer) {}

  @Get(':group')
  async presence(@Param('group') group: string): Promise<GroupPresence> {
    if (!isGroupName(group)) throw new BadRequestException('group must be 1-100 characters of [A-Za-z0-9_.-]');
    return { group, connections: await this.layer.countMembers(group) };
  }
}
