import { Module } from '@nestjs/common';
import { PushModule } from '../push/push.module';
import { ChatGateway } from './chat.gateway';
import { ChatService } from './chat.service';

@Module({ imports: [PushModule], providers: [ChatService, ChatGateway] })
export class ChatModule {}
