import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { ChannelLayer } from '../layer/channel-layer';
import { DrainState } from '../lifecycle/drain-state';

/**
 * The custom terminus indicators of `/health/live` and `/health/ready`. Each reads a field (no
 * I/O, no Redis round trip): the layer tracks its own availability, so a probe every second costs
 * nothing and cannot itself time out while Redis hangs.
 */
@Injectable()
export class HealthIndicators {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(ChannelLayer) private readonly layer: ChannelLayer,
    private readonly drain: DrainState,
  ) {}

  /** Always up: answering at all is what liveness asks. */
  process(): HealthIndicatorResult<'process'> {
    return this.indicators.check('process').up();
  }

  /** Down from the shutdown signal on: new work belongs on another instance. */
  draining(): HealthIndicatorResult<'drain'> {
    const check = this.indicators.check('drain');
    if (!this.drain.draining) return check.up();
    return check.down({ message: 'shutting down', since: new Date(this.drain.since ?? Date.now()).toISOString() });
  }

  /** The channel layer: the memory layer is always up, the Redis layer while it reaches Redis. */
  channelLayer(): HealthIndicatorResult<'layer'> {
    const check = this.indicators.check('layer');
    if (this.layer.isAvailable()) return check.up({ kind: this.layer.kind });
    return check.down({ kind: this.layer.kind, message: 'Redis unreachable' });
  }
}
