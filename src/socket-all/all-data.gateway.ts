import type { TopicFrame } from '../wire/serialise';
import { OnFrame } from '../ws/frames/on-frame.decorator';
import type { Peer } from '../ws/peers/peer';
import { RoutedGateway } from '../ws/routed-gateway.decorator';
import { anyUser, noParams, type WsRoute } from '../ws/ws-route';
import { SnapshotRequestDto } from './dto/snapshot-request.dto';
import { ALL_DATA_GROUP, NotifyService } from '../notify/notify.service';

const allDataRoute: WsRoute<Record<string, never>> = {
  path: '/socket/all',
  parse: noParams,
  authorize: anyUser,
  groups: () => [ALL_DATA_GROUP],
  resume: 'since',
};

/** `/socket/all`: broadcasts of every topic; `{"type": topic}` asks for that topic's snapshot. */
@RoutedGateway(allDataRoute)
export class AllDataGateway {
  constructor(private readonly notify: NotifyService) {}

  @OnFrame(SnapshotRequestDto)
  snapshot(_peer: Peer, request: SnapshotRequestDto): Promise<TopicFrame> {
    return this.notify.snapshot(request.type);
  }
}
