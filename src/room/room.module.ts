import { Module } from '@nestjs/common';
import { MessageLimit } from '../common/message-limit';
import { RoomGateway } from './room.gateway';
import { RoomService } from './room.service';

@Module({ providers: [RoomService, RoomGateway, MessageLimit] })
export class RoomModule {}
