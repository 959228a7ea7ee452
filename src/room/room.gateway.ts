import { ConnectedSocket, SubscribeMessage } from '@nestjs/websockets';
import type { Peer } from '../ws/peer';
import { Frame } from '../ws/frame-validation.pipe';
import { RoutedGateway } from '../ws/routed-gateway.decorator';
import { anyUser, FRAME, HandshakeRefusal, type WsRoute } from '../ws/ws-route';
import { SendRoomDto } from './dto/send-room.dto';
import { ROOM_NAME, roomGroup, RoomService } from './room.service';

export interface RoomParams {
  room: string;
}

export const roomRoute: WsRoute<RoomParams> = {
  path: '/ws/room/:room',
  parse: ({ room }) => {
    if (!room || !ROOM_NAME.test(room))
      throw new HandshakeRefusal(400, 'room must be 1-64 characters of [A-Za-z0-9_-]');
    return { room };
  },
  authorize: anyUser,
  groups: (_user, { room }) => [roomGroup(room)],
};

/** `/ws/room/:room`: `{"message"}` in, the message to everyone in the room out. */
@RoutedGateway(roomRoute)
export class RoomGateway {
  constructor(private readonly rooms: RoomService) {}

  @SubscribeMessage(FRAME)
  async send(@ConnectedSocket() peer: Peer<RoomParams>, @Frame() frame: SendRoomDto): Promise<void> {
    await this.rooms.send(peer.params.room, peer.userId, frame.message);
  }
}
