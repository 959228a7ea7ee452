import type { AckFrame } from '../wire/serialise';
import { OnFrame } from '../ws/frames/on-frame.decorator';
import type { Peer } from '../ws/peers/peer';
import { RoutedGateway } from '../ws/routed-gateway.decorator';
import { anyUser, HandshakeRefusal, type WsRoute } from '../ws/ws-route';
import { SendRoomDto } from './dto/send-room.dto';
import { ROOM_NAME, roomGroup, RoomService } from './room.service';

export interface RoomParams {
  room: string;
}

const roomRoute: WsRoute<RoomParams> = {
  path: '/ws/room/:room',
  parse: ({ room }) => {
    if (!room || !ROOM_NAME.test(room))
      throw new HandshakeRefusal(400, 'room must be 1-64 characters of [A-Za-z0-9_-]');
    return { room };
  },
  authorize: anyUser,
  groups: (_user, { room }) => [roomGroup(room)],
  resume: 'since',
};

/** `/ws/room/:room`: `{"message"}` in, the message to everyone in the room out. */
@RoutedGateway(roomRoute)
export class RoomGateway {
  constructor(private readonly rooms: RoomService) {}

  /** Acked only when the frame carries a `cid` (v1 clients, which send none, get no ack). */
  @OnFrame(SendRoomDto)
  async send(peer: Peer<RoomParams>, frame: SendRoomDto): Promise<AckFrame | undefined> {
    const id = await this.rooms.send(peer.params.room, peer.userId, frame.message, frame.cid);
    return frame.cid === undefined ? undefined : { type: 'ack', id };
  }
}
