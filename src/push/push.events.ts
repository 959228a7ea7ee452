import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { handleEvent } from '../common/event-handler';
import { PushEventDto } from './dto/push-event.dto';
import { PushService } from './push.service';

/** The `push` pattern on the Redis microservice transport: `emit('push', {username, event})`. */
@Controller()
export class PushEvents {
  private readonly logger = new Logger(PushEvents.name);

  constructor(private readonly pushes: PushService) {}

  @EventPattern('push')
  onPush(@Payload() payload: unknown): Promise<void> {
    return handleEvent(this.logger, 'push', PushEventDto, payload, (event) =>
      this.pushes.push(event.username, event.event),
    );
  }
}
