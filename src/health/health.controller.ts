import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ChannelLayer } from '../layer/channel-layer';
import { DrainState } from '../lifecycle/drain-state';

export class Health {
  @ApiProperty({ enum: ['ok', 'unavailable', 'draining'] })
  status!: 'ok' | 'unavailable' | 'draining';

  @ApiProperty({ enum: ['memory', 'redis'], description: 'the channel layer this instance runs on' })
  layer!: ChannelLayer['kind'];
}

/**
 * `GET /health`: 200 while this instance can deliver everywhere, 503 while its Redis is out of
 * reach, and 503 `draining` from the shutdown signal on (a load balancer takes it out at once).
 * The contract fixes the body, so this is a plain controller rather than terminus's shape.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(ChannelLayer) private readonly layer: ChannelLayer,
    private readonly drain: DrainState,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Whether this instance can deliver everywhere',
    description: 'No token, and not rate-limited. Its own body, not the error shape.',
  })
  @ApiResponse({ status: 200, type: Health, description: '`{"status":"ok","layer":…}`' })
  @ApiResponse({
    status: 503,
    type: Health,
    description: '`unavailable`: the configured Redis is unreachable; `draining`: the instance is shutting down',
  })
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
