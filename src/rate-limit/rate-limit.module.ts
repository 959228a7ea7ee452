import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { ApiThrottlerGuard } from './api-throttler.guard';

/** One minute: `HTTP_RATE_PER_MIN` is counted over the last minute. */
const WINDOW_MS = 60_000;

/**
 * The HTTP rate limit (`HTTP_RATE_PER_MIN` per client IP on `/api/*`), counted in this instance's
 * memory: behind a balancer spreading one client over N instances, it may get up to N times the
 * limit. `TRUST_PROXY` (applied in `bootstrap.ts`) decides which address is the client's.
 */
@Module({})
export class RateLimitModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: RateLimitModule,
      imports: [
        ThrottlerModule.forRoot({
          throttlers: [
            // blockDuration 0: a sliding window (each request counts for one minute), not a
            // minute-long ban from the first refusal; refused requests do not count.
            { name: 'api', ttl: WINDOW_MS, limit: config.HTTP_RATE_PER_MIN, blockDuration: 0 },
          ],
          // No X-RateLimit-* headers on every answer: the guard sets `Retry-After` on a 429.
          setHeaders: false,
        }),
      ],
      providers: [{ provide: APP_GUARD, useClass: ApiThrottlerGuard }],
    };
  }
}
