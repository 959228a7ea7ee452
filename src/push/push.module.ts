import { Module } from '@nestjs/common';
import { PushController } from './push.controller';
import { PushEvents } from './push.events';
import { PushGateway } from './push.gateway';
import { PushService } from './push.service';

@Module({
  controllers: [PushController, PushEvents],
  providers: [PushService, PushGateway],
  exports: [PushService],
})
export class PushModule {}
