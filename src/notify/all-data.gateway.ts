import { SubscribeMessage } from '@nestjs/websockets';
import type { TopicFrame } from '../common/frames';
import { anyUser, FRAME, noParams, type WsRoute } from '../ws/ws-route';
import { Frame } from '../ws/frame-validation.pipe';
import { RoutedGateway } from '../ws/routed-gateway.decorator';
import { SnapshotRequestDto } from './dto/snapshot-request.dto';
import { ALL_DATA_GROUP, NotifyService } from './notify.service';

export const allDataRoute: WsRoute<Record<string, never>> = {
  path: '/socket/all',
  parse: noParams,
  authorize: anyUser,
  groups: () => [ALL_DATA_GROUP],
};

/** `/socket/all`: broadcasts of every topic; `{"type": topic}` asks for that topic's snapshot. */
@RoutedGateway(allDataRoute)
export class AllDataGateway {
  constructor(private readonly notify: NotifyService) {}

  @SubscribeMessage(FRAME)
  snapshot(@Frame() request: SnapshotRequestDto): Promise<TopicFrame> {
    return this.notify.snapshot(request.type);
  }
}
