import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ChannelLayer } from '../layer/channel-layer';
import { DrainState } from '../lifecycle/drain-state';

export interface Health {
  status: 'ok' | 'unavailable' | 'draining';
  layer: ChannelLayer['kind'];
}

/**
 * `GET /health`: 200 while this instance can deliver everywhere, 503 while its Redis is out of
 * reach, and 503 `draining` from the shutdown signal on (a load balancer takes it out at once).
 * The contract fixes the body, so this is a plain controller rather than terminus's shape.
 */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(ChannelLayer) private readonly layer: ChannelLayer,
    private readonly drain: DrainState,
  ) {}

  @Get()
  health(@Res({ passthrough: true }) response: Response): Health {
    if (this.drain.draining) {
      response.status(503);
      return { status: 'draining', layer: this.layer.kind };
    }
    const available = this.layer.isAvailable();
    response.status(available ? 200 : 503);
    return { status: available ? 'ok' : 'unavailable', layer: this.layer.kind };
  }
}
