import { Inject, Injectable } from '@nestjs/common';
import { InvalidInputError } from '../common/errors';
import type { AckFrame, ChatMessage } from '../common/frames';
import { ChannelLayer } from '../layer/channel-layer';
import { PushService } from '../push/push.service';
import { chatMessageFrame } from './chat-frame';
import { otherMember, type ChatGroup } from './chat-group';

/** One-to-one chat (the seeds' ChatConsumer), with the push that tells an absent peer. */
@Injectable()
export class ChatService {
  constructor(
    @Inject(ChannelLayer) private readonly layer: ChannelLayer,
    private readonly pushes: PushService,
  ) {}

  /**
   * If the other participant has a socket in the chat anywhere, the chat gets the message;
   * otherwise their push channel does, carrying the same chat id. The sender gets the ack only
   * once the layer took the message, so nothing is acknowledged that was not sent.
   */
  async send(chat: ChatGroup, from: string, message: string, toUser?: string): Promise<AckFrame> {
    const to = otherMember(chat, from);
    if (toUser !== undefined && toUser !== to) {
      throw new InvalidInputError([`to_user must be ${to}, the other participant of ${chat.name}`]);
    }
    const group = chat.layerGroup;
    const body: ChatMessage = { message, from, group: chat.name, ts: Date.now() };
    const sent = await this.layer.sendIfPresent(group, to, chatMessageFrame(body));
    if (sent !== null) return { type: 'ack', id: sent };
    const id = await this.layer.nextId(group);
    await this.pushes.push(to, { ...body, id });
    return { type: 'ack', id };
  }
}
