import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { EventClaims } from './event-claims';

/**
 * The microservice transport's de-duplication, only with `REDIS_URL` (without it there is no
 * transport). `bootstrap.ts` hands `EventClaims` to the `ClaimingRedisServer` it connects.
 */
@Module({})
export class MicroserviceModule {
  static forRoot(config: AppConfig): DynamicModule {
    const url = config.REDIS_URL;
    const providers = url
      ? [{ provide: EventClaims, useFactory: () => new EventClaims(url, config.REDIS_PREFIX) }]
      : [];
    return { module: MicroserviceModule, providers };
  }
}
