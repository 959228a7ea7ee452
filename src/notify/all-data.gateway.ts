import { UseFilters, UsePipes } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { TopicFrame } from '../common/frames';
import { frameValidation } from '../ws/frame-validation.pipe';
import { WsErrorFilter } from '../ws/ws-error.filter';
import { anyUser, FRAME, noParams, routedGateway, type WsRoute } from '../ws/ws-route';
import { SnapshotRequestDto } from './dto/snapshot-request.dto';
import { ALL_DATA_GROUP, NotifyService } from './notify.service';

export const allDataRoute: WsRoute<Record<string, never>> = {
  path: '/socket/all',
  parse: noParams,
  authorize: anyUser,
  groups: () => [ALL_DATA_GROUP],
};

/** `/socket/all`: broadcasts of every topic; `{"type": topic}` asks for that topic's snapshot. */
@WebSocketGateway(routedGateway(allDataRoute))
@UseFilters(WsErrorFilter)
@UsePipes(frameValidation)
export class AllDataGateway {
  constructor(private readonly notify: NotifyService) {}

  @SubscribeMessage(FRAME)
  snapshot(@MessageBody() request: SnapshotRequestDto): Promise<TopicFrame> {
    return this.notify.snapshot(request.type);
  }
}
