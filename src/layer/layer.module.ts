import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { Metrics } from '../metrics/metrics.service';
import { ChannelLayer, type HistoryLimits } from './channel-layer';
import { Presence } from './presence';
import { InMemoryChannelLayer } from './in-memory-channel-layer';
import { RedisChannelLayer } from './redis/redis-channel-layer';

function historyLimits(config: AppConfig): HistoryLimits {
  return { size: config.HISTORY_SIZE, ttlMs: config.HISTORY_TTL_S * 1000 };
}

/**
 * The one place that picks a layer: Redis when `REDIS_URL` is set, memory otherwise. Each layer
 * class also keeps the presence of its members, provided under its own token.
 */
@Global()
@Module({
  providers: [
    {
      provide: ChannelLayer,
      inject: [AppConfig, Metrics],
      useFactory: (config: AppConfig, metrics: Metrics): ChannelLayer =>
        config.REDIS_URL
          ? new RedisChannelLayer({
              url: config.REDIS_URL,
              prefix: config.REDIS_PREFIX,
              history: historyLimits(config),
              leaseMs: config.PRESENCE_LEASE_MS,
              stats: metrics.layer,
            })
          : new InMemoryChannelLayer(historyLimits(config), metrics.layer),
    },
    { provide: Presence, useExisting: ChannelLayer },
  ],
  exports: [ChannelLayer, Presence],
})
export class LayerModule {}
