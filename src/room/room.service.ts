import { Inject, Injectable } from '@nestjs/common';
import { idempotencyKey } from '../common/client-message-id';
import { roomMessageFrame, type RoomMessage } from '../wire/serialise';
import { MessageLimit } from '../common/message-limit';
import { ChannelLayer } from '../layer/channel-layer';
import { groupName, type GroupName } from '../layer/group-name';

/** A room name: 1–64 of `[A-Za-z0-9_-]`. */
export const ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function roomGroup(room: string): GroupName {
  return groupName(`room.${room}`);
}

/** Chat rooms (the seeds' `test` / `x1` group chat and dwebsocket's label rooms). */
@Injectable()
export class RoomService {
  constructor(
    @Inject(ChannelLayer) private readonly layer: ChannelLayer,
    private readonly limit: MessageLimit,
  ) {}

  /**
   * Every socket in the room, the sender's included, gets the message with its id. A resent
   * `cid` resolves to the original's id and is not delivered again.
   */
  async send(room: string, from: string, message: string, cid?: string): Promise<number> {
    this.limit.check(message);
    const body: RoomMessage = { message, from, room, ts: Date.now() };
    return this.layer.send(roomGroup(room), roomMessageFrame(body), { idempotencyKey: idempotencyKey(from, cid) });
  }
}
