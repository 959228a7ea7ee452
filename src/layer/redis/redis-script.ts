import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script run with EVALSHA, falling back to EVAL when Redis answers NOSCRIPT (first use, or a
 * Redis restarted empty). EVAL caches the script again, so the fallback happens once per restart.
 * See https://redis.io/docs/latest/commands/evalsha/.
 */
export class RedisScript {
  private readonly sha: string;

  constructor(
    readonly name: string,
    private readonly lua: string,
  ) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }

  /** `run`, with string replies as Buffers: frames go to sockets as the bytes Redis holds. */
  async runBuffer(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.callBuffer('evalsha', this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await redis.callBuffer('eval', this.lua, keys.length, ...keys, ...args);
    }
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** Integer replies arrive as numbers; anything else is a bug in a script below. */
export function integerReply(reply: unknown, script: string): number {
  if (typeof reply !== 'number' || !Number.isSafeInteger(reply)) {
    throw new TypeError(`script ${script} returned ${String(reply)}, not an integer`);
  }
  return reply;
}

/*
 * Lua 5.1 notes, for every script of the layer (`presence-scripts.ts`, `history-scripts.ts`). Numbers are doubles and `tostring` keeps 14 digits, so a 16-digit id must go
 * through string.format('%.0f'), both into keys and into frames. An integer reply converts a Lua
 * number exactly up to 2^53. Scripts may call TIME (and PUBSUB) before writing: Redis 7
 * replicates effects, not scripts.
 */
