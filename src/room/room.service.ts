import { Inject, Injectable } from '@nestjs/common';
import type { RoomMessage } from '../common/frames';
import { ChannelLayer } from '../layer/channel-layer';
import { unnumbered } from '../layer/frame';
import { groupName, type GroupName } from '../layer/group-name';

/** A room name: 1–64 of `[A-Za-z0-9_-]`. */
export const ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function roomGroup(room: string): GroupName {
  return groupName(`room.${room}`);
}

/** Chat rooms (the seeds' `test` / `x1` group chat and dwebsocket's label rooms). */
@Injectable()
export class RoomService {
  constructor(@Inject(ChannelLayer) private readonly layer: ChannelLayer) {}

  /** Every socket in the room, the sender's included, gets the message with its id. */
  async send(room: string, from: string, message: string): Promise<number> {
    const body: RoomMessage = { message, from, room, ts: Date.now() };
    return this.layer.send(roomGroup(room), unnumbered(body));
  }
}
