import type { Redis } from 'ioredis';
import type { HistoryFrom, HistoryRead, SendOptions } from '../channel-layer';
import type { UnnumberedFrame } from '../../wire/numbered';
import type { GroupName } from '../group-name';
import { toHistoryRead } from '../history-read';
import type { HistoryLimits } from '../channel-layer';
import { historyScript, sendScript, sendUnlessAbsentScript } from './history-scripts';
import type { RedisKeys } from './redis-keys';
import { integerReply } from './redis-script';

/**
 * The layer's numbered frames on Redis: a send numbers, keeps and publishes a frame in one script;
 * a read returns what a group's history holds after an id. Names are checked, and transport
 * errors mapped, by the caller (`RedisChannelLayer`).
 */
export class RedisHistory {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly limits: HistoryLimits,
  ) {}

  async send(group: GroupName, frame: UnnumberedFrame, options: SendOptions): Promise<number> {
    const size = options.historySize ?? this.limits.size;
    const key = options.idempotencyKey ?? '';
    const keys = this.keys.sendKeys(group);
    const channel = this.keys.groupChannel(group);
    const prefix = this.keys.instanceChannelPrefix;
    if (options.unlessAbsent) {
      const { userId, forwardTo } = options.unlessAbsent;
      keys.push(...this.keys.sendKeys(forwardTo), this.keys.leases);
      const forward = [this.keys.groupChannel(forwardTo), this.limits.size];
      const args = [channel, frame, size, this.limits.ttlMs, key, prefix, userId, ...forward];
      return integerReply(await sendUnlessAbsentScript.run(this.redis, keys, args), sendUnlessAbsentScript.name);
    }
    keys.push(this.keys.leases);
    const args = [channel, frame, size, this.limits.ttlMs, key, options.inbox ? '1' : '0', prefix];
    if (options.snapshot) {
      keys.push(this.keys.snapshot(options.snapshot.key));
      args.push(options.snapshot.value);
    }
    return integerReply(await sendScript.run(this.redis, keys, args), sendScript.name);
  }

  async read(group: GroupName, from: HistoryFrom): Promise<HistoryRead> {
    const keys = [this.keys.state(group), this.keys.history(group)];
    const args = [String(from.after), from.markReceived ? '1' : '0'];
    return historyReply(await historyScript.runBuffer(this.redis, keys, args));
  }
}

/** The history script's reply: first, last, oldest (-1 for none), start, then the frames. */
function historyReply(reply: unknown): HistoryRead {
  if (!Array.isArray(reply) || reply.length < 4) throw new TypeError('script history returned no array');
  const [first, last, oldest, start] = reply.slice(0, 4).map((n: unknown) => integerReply(n, historyScript.name));
  const state = first === -1 ? null : { first, last };
  return toHistoryRead(start, state, oldest === -1 ? null : oldest, reply.slice(4) as Buffer[]);
}
