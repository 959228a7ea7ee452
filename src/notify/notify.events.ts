import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { handleEvent } from '../common/event-handler';
import { NotifyEventDto } from './dto/notify-event.dto';
import { NotifyService } from './notify.service';

/** The `notify` pattern on the Redis microservice transport: `emit('notify', {topic, data})`. */
@Controller()
export class NotifyEvents {
  private readonly logger = new Logger(NotifyEvents.name);

  constructor(private readonly notify: NotifyService) {}

  @EventPattern('notify')
  onNotify(@Payload() payload: unknown): Promise<void> {
    return handleEvent(this.logger, 'notify', NotifyEventDto, payload, (event) =>
      this.notify.notify(event.topic, { data: event.data }),
    );
  }
}
