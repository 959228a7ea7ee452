import { Module } from '@nestjs/common';
import { AllDataGateway } from './all-data.gateway';
import { NotifyController } from './notify.controller';
import { NotifyEvents } from './notify.events';
import { NotifyService } from './notify.service';
import { TopicRegistry } from './topic-registry';

@Module({
  controllers: [NotifyController, NotifyEvents],
  providers: [NotifyService, TopicRegistry, AllDataGateway],
  exports: [NotifyService],
})
export class NotifyModule {}
