import {
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { closeConnection, reconnectDelay, redactUrl } from '../layer/redis/redis-connection';
import { integerReply } from '../layer/redis/redis-script';
import { claimScript } from './claim-script';

/**
 * How long a ticket waits for the other instances' claims. They claim within milliseconds of each
 * other; an instance more than this behind (an event loop blocked for a minute) delivers again.
 */
const TICKET_TTL_MS = 60_000;
/**
 * How long a registered instance may look dead before it is forgotten. Its transport losing the
 * connection for a while must not unregister it, or it would deliver copies nobody ticketed for it.
 */
const FORGET_DEAD_AFTER_MS = 10 * 60_000;

/**
 * Decides, per received microservice event, whether this instance delivers it, so that an event
 * emitted once is delivered once however many instances receive it (see `claim-script.ts`).
 *
 * This instance is live while its transport's subscriber holds `aliveChannel` (see
 * `ClaimingRedisServer`); it is registered before the transport subscribes, re-registered after a
 * reconnect (Redis may have restarted empty), and unregistered after the transport has closed.
 */
export class EventClaims implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  readonly instanceId = randomBytes(12).toString('hex');
  readonly aliveChannel: string;
  private readonly logger = new Logger(EventClaims.name);
  private readonly alivePrefix: string;
  private readonly registry: string;
  private readonly redis: Redis;
  private started = false;
  /** From the start of shutdown: events go to the instances that stay. */
  private refusing = false;
  private outageLogged = false;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly prefix: string,
  ) {
    this.alivePrefix = `${prefix}ms:alive:`;
    this.aliveChannel = this.alivePrefix + this.instanceId;
    this.registry = `${prefix}ms:instances`;
    // Fail fast: a claim queued through an outage would decide on a state long gone, and one
    // re-sent after a lost reply would count its copy twice.
    this.redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: reconnectDelay,
      connectionName: `event-claims-${this.instanceId}`,
    });
    this.redis.on('error', (error: Error) => this.logOutage(error));
    this.redis.on('ready', () => this.onReady());
  }

  /** Runs in `app.init()`, before the transport starts (see `bootstrap.ts`). */
  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.redis.connect();
      await this.register();
    } catch (error) {
      await closeConnection(this.redis);
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`Redis at ${redactUrl(this.url)} is unreachable: ${reason}`, { cause: error });
    }
    this.started = true;
  }

  beforeApplicationShutdown(): void {
    this.refusing = true;
  }

  /** After the transport has closed (Nest closes it before this hook). */
  async onApplicationShutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.refusing = true;
    this.started = false;
    if (this.redis.status === 'ready') {
      await this.redis.hdel(this.registry, this.instanceId).catch(() => undefined);
    }
    await closeConnection(this.redis);
  }

  /**
   * True when this instance delivers the event. False when another instance did or will, while
   * shutting down, and when the claim fails (Redis unreachable): then logged and dropped, as a
   * copy this instance never received would be.
   */
  async claim(pattern: string, data: unknown): Promise<boolean> {
    if (this.refusing) return false;
    try {
      const reply = await claimScript.run(
        this.redis,
        [this.registry, this.ticketsKey(pattern, data)],
        [this.alivePrefix, this.instanceId, TICKET_TTL_MS, FORGET_DEAD_AFTER_MS],
      );
      return integerReply(reply, claimScript.name) === 1;
    } catch (error) {
      this.logger.warn(
        `${pattern} event dropped: no claim (${error instanceof Error ? error.message : String(error)})`,
      );
      return false;
    }
  }

  /**
   * Copies of one event hash alike on every instance: each parses the same text, and
   * `JSON.stringify` of a parsed value is fixed by the language. Equal events share the key,
   * which is what the tickets count.
   */
  private ticketsKey(pattern: string, data: unknown): string {
    const text = JSON.stringify(data) ?? '';
    const hash = createHash('sha1').update(pattern).update('\n').update(text).digest('hex');
    return `${this.prefix}ms:tickets:${hash}`;
  }

  private async register(): Promise<void> {
    await this.redis.hset(this.registry, this.instanceId, 0);
  }

  private onReady(): void {
    this.outageLogged = false;
    if (!this.started) return;
    this.logger.log('claims connection to Redis restored');
    this.register().catch((error: unknown) => this.logOutage(error));
  }

  /** Once per outage: ioredis retries every second. */
  private logOutage(error: unknown): void {
    if (this.outageLogged || this.refusing) return;
    this.outageLogged = true;
    this.logger.error(`claims connection to Redis: ${error instanceof Error ? error.message : String(error)}`);
  }
}
