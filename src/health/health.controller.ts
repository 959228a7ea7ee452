import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ChannelLayer } from '../layer/channel-layer';

export interface Health {
  status: 'ok' | 'unavailable';
  layer: ChannelLayer['kind'];
}

/**
 * `GET /health`: 200 while this instance can deliver everywhere, 503 while its Redis is out of
 * reach. The contract fixes the body, so this is a plain controller rather than terminus's shape.
 */
@Controller('health')
export class HealthController {
  constructor(@Inject(ChannelLayer) private readonly layer: ChannelLayer) {}

  @Get()
  health(@Res({ passthrough: true }) response: Response): Health {
    const available = this.layer.isAvailable();
    response.status(available ? 200 : 503);
    return { status: available ? 'ok' : 'unavailable', layer: this.layer.kind };
  }
}
