import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { validateInput } from '../common/validation';
import { PushEventDto } from './dto/push-event.dto';
import { PushService } from './push.service';

/** The `push` pattern on the Redis microservice transport: `emit('push', {username, event})`. */
@Controller()
export class PushEvents {
  private readonly logger = new Logger(PushEvents.name);

  constructor(private readonly pushes: PushService) {}

  @EventPattern('push')
  async onPush(@Payload() payload: unknown): Promise<void> {
    try {
      const event = await validateInput(PushEventDto, payload);
      await this.pushes.push(event.username, event.event);
    } catch (error) {
      this.logger.warn(`push event dropped: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
