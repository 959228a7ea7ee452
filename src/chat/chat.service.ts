import { Inject, Injectable } from '@nestjs/common';
import { idempotencyKey } from '../common/client-message-id';
import { InvalidInputError } from '../common/errors';
import { chatMessageFrame, type AckFrame, type ChatMessage } from '../wire/serialise';
import { MessageLimit } from '../common/message-limit';
import { AppConfig } from '../config/app-config';
import { ChannelLayer } from '../layer/channel-layer';
import { pushGroup } from '../push/push.service';
import { otherMember, type ChatGroup } from './chat-group';

export interface ChatSend {
  message: string;
  to_user?: string;
  cid?: string;
}

/** One-to-one chat (the seeds' ChatConsumer), with the push that tells an absent peer. */
@Injectable()
export class ChatService {
  constructor(
    @Inject(ChannelLayer) private readonly layer: ChannelLayer,
    private readonly limit: MessageLimit,
    private readonly config: AppConfig,
  ) {}

  /**
   * If the other participant has a socket in the chat anywhere, the chat gets the message;
   * otherwise their push channel does, carrying the same chat id. Either way the message takes
   * the chat's next id and stays in its history. The sender gets the ack only once the layer took
   * the message, so nothing is acknowledged that was not sent; a resent `cid` gets the original's.
   */
  async send(chat: ChatGroup, from: string, frame: ChatSend): Promise<AckFrame> {
    const to = otherMember(chat, from);
    if (frame.to_user !== undefined && frame.to_user !== to) {
      throw new InvalidInputError([`to_user must be ${to}, the other participant of ${chat.name}`]);
    }
    this.limit.check(frame.message);
    const body: ChatMessage = { message: frame.message, from, group: chat.name, ts: Date.now() };
    const id = await this.layer.send(chat.layerGroup, chatMessageFrame(body), {
      idempotencyKey: idempotencyKey(from, frame.cid),
      historySize: this.config.chatHistorySize,
      unlessAbsent: { userId: to, forwardTo: pushGroup(to) },
    });
    return { type: 'ack', id };
  }
}
