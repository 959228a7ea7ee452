import type { AckFrame } from '../wire/serialise';
import { OnFrame } from '../ws/frames/on-frame.decorator';
import type { Peer } from '../ws/peers/peer';
import { RoutedGateway } from '../ws/routed-gateway.decorator';
import { HandshakeRefusal, type WsRoute } from '../ws/ws-route';
import { parseChatGroup, type ChatGroup } from './chat-group';
import { ChatService } from './chat.service';
import { SendChatDto } from './dto/send-chat.dto';

const chatRoute: WsRoute<ChatGroup> = {
  path: '/ws/chat/:group',
  parse: ({ group }) => {
    const chat = parseChatGroup(group ?? '');
    if (!chat) throw new HandshakeRefusal(400, 'a chat is <a>_<b>: two distinct user ids without "_"');
    return chat;
  },
  authorize: (user, chat) => chat.members.includes(user.id),
  groups: (_user, chat) => [chat.layerGroup],
  resume: 'since',
};

/** `/ws/chat/:group`: `{"message", "to_user"?}` in, the message to the chat (or a push) out. */
@RoutedGateway(chatRoute)
export class ChatGateway {
  constructor(private readonly chat: ChatService) {}

  @OnFrame(SendChatDto)
  send(peer: Peer<ChatGroup>, frame: SendChatDto): Promise<AckFrame> {
    return this.chat.send(peer.params, peer.userId, frame);
  }
}
