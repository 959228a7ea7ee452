import type { HistoryFrom, HistoryLimits, HistoryRead } from './channel-layer';
import { firstId, stampId, type NumberedFrame, type UnnumberedFrame } from '../wire/numbered';
import type { GroupName } from './group-name';
import { toHistoryRead } from './history-read';

/** A kept frame: its id, its bytes as delivered, and the idempotency key it was sent with. */
export interface Entry {
  readonly id: number;
  readonly frame: NumberedFrame;
  readonly key?: string;
}

/** One group's state: its ids, its last frames, its idempotency keys, its inbox mark. */
class GroupLog {
  readonly first = firstId();
  last = this.first - 1;
  /** The last frame a member of this inbox received. */
  received = 0;
  readonly entries: Entry[] = [];
  readonly keys = new Map<string, number>();

  constructor(public expiresAt: number) {}

  append(frame: UnnumberedFrame, size: number, ttlMs: number, key: string | undefined): Entry {
    const id = ++this.last;
    const entry = { id, frame: Buffer.from(stampId(frame, id)), key };
    this.entries.push(entry);
    if (key !== undefined) this.keys.set(key, entry.id);
    while (this.entries.length > size) this.forget(this.entries.shift());
    this.expiresAt = Date.now() + ttlMs;
    return entry;
  }

  /** The id of the message sent with `key`, while it is still in history. */
  idOfKey(key: string): number | undefined {
    return this.keys.get(key);
  }

  read(start: number): HistoryRead {
    const oldest = this.entries[0]?.id ?? null;
    const after = oldest === null ? [] : this.entries.slice(Math.max(0, start + 1 - oldest));
    return toHistoryRead(
      start,
      { first: this.first, last: this.last },
      oldest,
      after.map((entry) => entry.frame),
    );
  }

  private forget(entry: Entry | undefined): void {
    if (entry?.key !== undefined && this.keys.get(entry.key) === entry.id) this.keys.delete(entry.key);
  }
}

/** The memory layer's history: a bounded log per group, dropped `ttlMs` after its last send. */
export class MemoryHistory {
  private readonly logs = new Map<GroupName, GroupLog>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly limits: HistoryLimits) {
    // Expired logs are also replaced on use; the sweep bounds the memory of groups never used again.
    this.sweeper = setInterval(() => this.sweep(), Math.min(limits.ttlMs, 60_000));
    this.sweeper.unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  /** The id already taken by `key` in `group`, while its message is in history. */
  idOfKey(group: GroupName, key: string): number | undefined {
    return this.live(group)?.idOfKey(key);
  }

  /** Numbers `frame` with the group's next id and keeps it, with the last `size` before it. */
  append(group: GroupName, frame: UnnumberedFrame, key?: string, size = this.limits.size): Entry {
    let log = this.live(group);
    if (!log) this.logs.set(group, (log = new GroupLog(0)));
    return log.append(frame, size, this.limits.ttlMs, key);
  }

  /** Marks everything up to `id` as received by a member of the inbox `group`. */
  markReceived(group: GroupName, id: number): void {
    const log = this.live(group);
    if (log) log.received = Math.max(log.received, id);
  }

  read(group: GroupName, from: HistoryFrom): HistoryRead {
    const log = this.live(group);
    const start = from.after === 'received' ? (log?.received ?? 0) : from.after;
    if (!log) return toHistoryRead(start, null, null, []);
    const read = log.read(start);
    if (from.markReceived) log.received = log.last;
    return read;
  }

  private live(group: GroupName): GroupLog | undefined {
    const log = this.logs.get(group);
    if (!log || log.expiresAt > Date.now()) return log;
    this.logs.delete(group);
    return undefined;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [group, log] of this.logs) if (log.expiresAt <= now) this.logs.delete(group);
  }
}
