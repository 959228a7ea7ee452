import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ChannelLayer } from './channel-layer';
import { InMemoryChannelLayer } from './in-memory-channel-layer';
import { RedisChannelLayer } from './redis/redis-channel-layer';

/** The one place that picks a layer: Redis when `REDIS_URL` is set, memory otherwise. */
@Global()
@Module({
  providers: [
    {
      provide: ChannelLayer,
      inject: [AppConfig],
      useFactory: (config: AppConfig): ChannelLayer =>
        config.REDIS_URL
          ? new RedisChannelLayer({
              url: config.REDIS_URL,
              prefix: config.REDIS_PREFIX,
            })
          : new InMemoryChannelLayer(),
    },
  ],
  exports: [ChannelLayer],
})
export class LayerModule {}
