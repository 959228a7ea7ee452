import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { validateInput } from '../common/validation';
import { NotifyEventDto } from './dto/notify-event.dto';
import { NotifyService } from './notify.service';

/** The `notify` pattern on the Redis microservice transport: `emit('notify', {topic, data})`. */
@Controller()
export class NotifyEvents {
  private readonly logger = new Logger(NotifyEvents.name);

  constructor(private readonly notify: NotifyService) {}

  @EventPattern('notify')
  async onNotify(@Payload() payload: unknown): Promise<void> {
    try {
      const event = await validateInput(NotifyEventDto, payload);
      await this.notify.notify(event.topic, { data: event.data });
    } catch (error) {
      // An event has nobody to answer: log it and carry on with the next one.
      this.logger.warn(`notify event dropped: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
