import { Module } from '@nestjs/common';
import { MessageLimit } from '../common/message-limit';
import { ChatGateway } from './chat.gateway';
import { ChatService } from './chat.service';

@Module({ providers: [ChatService, ChatGateway, MessageLimit] })
export class ChatModule {}
