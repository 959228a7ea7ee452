import type { LoggerService } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { renewLeaseScript } from './presence-scripts';
import type { RedisKeys } from './redis-keys';
import { integerReply } from './redis-script';

/** `PRESENCE_LEASE_MS`'s default. */
export const DEFAULT_LEASE_MS = 15_000;

/**
 * This instance's presence lease: readers count it only while the lease holds (see
 * `presence-scripts.ts`), so an instance frozen with its connections up (SIGSTOP, a stuck event
 * loop) leaves presence within one lease. Renewed every third of it; the expiry is Redis' clock.
 *
 * The instance also judges its own lease, by the monotonic clock since the last renewal was sent
 * (Redis' expiry is later than that): after a freeze it is unavailable from its first moment
 * back, before any renewal could tell it so, and a renewal that finds the lease lapsed calls
 * `onLapsed` (the layer writes its presence again, as after a reconnect).
 */
export class RedisLease {
  private timer: NodeJS.Timeout | undefined;
  /** `performance.now()` before which the lease surely holds. */
  private heldUntil = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly ms: number,
    private readonly onLapsed: () => void,
    private readonly logger: LoggerService,
  ) {}

  /** Extends the lease now; true when it had not lapsed (nobody may have pruned this instance). */
  async renew(): Promise<boolean> {
    const sent = performance.now();
    const reply = await renewLeaseScript.run(this.redis, [this.keys.leases], [this.keys.instanceId, this.ms]);
    this.heldUntil = Math.max(this.heldUntil, sent + this.ms);
    return integerReply(reply, renewLeaseScript.name) === 1;
  }

  held(): boolean {
    return performance.now() < this.heldUntil;
  }

  /** Renews every third of the lease; the timer does not keep the process alive. */
  start(): void {
    this.timer = setInterval(() => void this.tick(), Math.max(1, Math.floor(this.ms / 3)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.heldUntil = 0;
  }

  /** On a clean shutdown: readers treat this instance as dead at once. */
  async release(): Promise<void> {
    await this.redis.hdel(this.keys.leases, this.keys.instanceId);
  }

  private async tick(): Promise<void> {
    // While `pub` is away the reconnect restores everything, the lease first.
    if (this.redis.status !== 'ready') return;
    try {
      if (!(await this.renew())) this.onLapsed();
    } catch (error) {
      this.logger.warn(`renewing the presence lease failed: ${String(error)}`);
    }
  }
}
