import type { LoggerService } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';

/** Reconnect forever, 100 ms more per attempt, at most a second apart. */
export function reconnectDelay(attempt: number): number {
  return Math.min(attempt * 100, 1000);
}

/**
 * Options shared by both connections. Fail fast: no offline queue, no retried requests, nothing
 * re-sent after a reconnect (a re-sent `send` script would deliver a frame its caller was told had
 * failed). The layer re-subscribes itself: ioredis' `autoResubscribe` would report the connection
 * ready before the SUBSCRIBEs are confirmed.
 */
const FAIL_FAST: RedisOptions = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  autoResubscribe: false,
  retryStrategy: reconnectDelay,
};

export interface ConnectionHooks {
  /** Ready after a reconnect (not the first time). */
  onReconnected(): void;
  /** The connection dropped, whether or not ioredis will reconnect. */
  onLost(): void;
  /** True while the layer is shutting down: a deliberate close is not a failure. */
  closing(): boolean;
}

/**
 * Creates one of the layer's two connections and logs its state changes, once each: the first
 * error of an outage, the loss and the recovery, not every retry (ioredis retries every second).
 */
export function createConnection(
  role: 'pub' | 'sub',
  url: string,
  logger: LoggerService,
  hooks: ConnectionHooks,
  instanceId: string,
): Redis {
  // Named per instance, so CLIENT LIST tells which instance's `sub` is which.
  const redis = new Redis(url, { ...FAIL_FAST, connectionName: `channel-layer-${role}-${instanceId}` });
  let everReady = false;
  let up = false;
  let errorLogged = false;
  redis.on('ready', () => {
    errorLogged = false;
    up = true;
    if (!everReady) {
      everReady = true;
      return;
    }
    logger.log(`${role} connection to Redis restored`);
    hooks.onReconnected();
  });
  redis.on('error', (error: Error) => {
    if (hooks.closing() || errorLogged) return;
    errorLogged = true;
    logger.error(`${role} connection to Redis: ${error.message}`);
  });
  redis.on('close', () => {
    const wasUp = up;
    up = false;
    hooks.onLost();
    if (wasUp && !hooks.closing()) {
      logger.warn(`${role} connection to Redis lost; reconnecting`);
    }
  });
  return redis;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid REDIS_URL>';
  }
}

/**
 * Quits politely when connected, and in every case stops reconnecting and waits (boundedly) for
 * the socket to close, so no handle outlives the layer. Never rejects.
 */
export async function closeConnection(redis: Redis, timeoutMs = 2000): Promise<void> {
  const open = ['connecting', 'connect', 'ready'].includes(redis.status);
  const ended = open ? once(redis, 'end', timeoutMs) : Promise.resolve();
  if (redis.status === 'ready') await redis.quit().catch(() => undefined);
  redis.disconnect();
  await ended;
}

function once(redis: Redis, event: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    redis.once(event, done);
    function done(): void {
      clearTimeout(timer);
      redis.off(event, done);
      resolve();
    }
  });
}
