import { ServerRedis, type BaseRpcContext, type ReadPacket, type RedisOptions } from '@nestjs/microservices';
import type { Redis } from 'ioredis';
import { exceedsJsonDepth, JSON_TOO_DEEP } from '../common/json-depth';
import type { EventClaims } from './event-claims';

/**
 * Nest's Redis transport, with one change: every instance receives every event (pub/sub), and
 * only the instance that claims it (`EventClaims`) hands it to its `@EventPattern` handler.
 *
 * The transport's own subscriber also holds this instance's alive channel, so "live" means
 * exactly "subscribed to the patterns": one SUBSCRIBE takes both at start, and ioredis re-sends
 * all of a connection's channels in one SUBSCRIBE after a reconnect. A transport that lost its
 * connection is dead for the others (they leave it off their tickets) for exactly as long as it
 * misses events. The app has event patterns only (no `@MessagePattern`, no wildcards), so the
 * handler keys are the channels.
 */
export class ClaimingRedisServer extends ServerRedis {
  private subscribed: Promise<unknown> = Promise.resolve();

  constructor(
    options: Required<RedisOptions>['options'],
    private readonly claims: EventClaims,
  ) {
    super(options);
  }

  /** Reports the transport started once Redis has confirmed the subscriptions, not before. */
  override listen(callback: (error?: unknown) => void): void {
    super.listen((error?: unknown) => {
      if (error) callback(error);
      else this.subscribed.then(() => callback(), callback);
    });
  }

  override bindEvents(subClient: Redis, pubClient: Redis): void {
    this.subscribed = subClient.subscribe(this.claims.aliveChannel, ...this.messageHandlers.keys());
    // Nest subscribes the patterns again: a no-op in Redis, and it keeps Nest's message wiring.
    super.bindEvents(subClient, pubClient);
  }

  /** A message nested too deep is dropped before Nest parses it (every instance logs it once). */
  override async handleMessage(channel: string, buffer: string, pub: Redis, pattern: string): Promise<void> {
    if (exceedsJsonDepth(Buffer.from(buffer))) {
      this.logger.warn(`${channel} event dropped: ${JSON_TOO_DEEP}`);
      return;
    }
    await super.handleMessage(channel, buffer, pub, pattern);
  }

  override async handleEvent(pattern: string, packet: ReadPacket<unknown>, context: BaseRpcContext): Promise<void> {
    if (await this.claims.claim(pattern, packet.data)) await super.handleEvent(pattern, packet, context);
  }
}
