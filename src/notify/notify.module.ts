import { Module } from '@nestjs/common';
import { NotifyController } from './notify.controller';
import { NotifyEvents } from './notify.events';
import { NotifyService } from './notify.service';
import { TopicRegistry } from './topic-registry';

@Module({
  controllers: [NotifyController, NotifyEvents],
  providers: [NotifyService, TopicRegistry],
  exports: [NotifyService],
})
export class NotifyModule {}
