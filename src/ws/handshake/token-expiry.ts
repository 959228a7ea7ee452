import { Injectable, OnApplicationShutdown } from '@nestjs/common';

/** Close code of a socket whose token reached its `exp` (4000–4999 are the application's). */
const TOKEN_EXPIRED_CODE = 4001;
const TOKEN_EXPIRED_REASON = 'token expired';

/** Node's timers hold at most 2^31 - 1 ms (~24.8 days); a longer delay fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What `TokenExpiry` needs of a socket: when its token expires, and how to close it. */
export interface ExpiringSocket {
  readonly user: { readonly expiresAt?: number };
  close(code: number, reason: string): void;
}

/**
 * Closes each socket with 4001 when its token's `exp` passes. Sockets are kept in one bucket per
 * second of expiry, and one timer is armed for the earliest bucket, not one per socket: 10,000
 * sockets cost 10,000 set entries and a timer, and sockets whose tokens expire in the same second
 * are closed in one pass. `exp` is in whole seconds, so a bucket's second is exactly its sockets'
 * expiry: none is closed early, none more than a timer's lateness after.
 */
@Injectable()
export class TokenExpiry implements OnApplicationShutdown {
  private readonly buckets = new Map<number, Set<ExpiringSocket>>();
  /** Every second that has a bucket or had one since it was last due, earliest first. */
  private readonly due = new SecondHeap();
  private timer?: NodeJS.Timeout;
  /** The second the timer is armed for. */
  private armedFor?: number;

  /** Sockets currently waiting for their expiry. */
  get size(): number {
    let size = 0;
    for (const bucket of this.buckets.values()) size += bucket.size;
    return size;
  }

  /** Schedules `socket`'s close; a token without `exp` never expires. */
  watch(socket: ExpiringSocket): void {
    const second = secondOf(socket);
    if (second === undefined) return;
    let bucket = this.buckets.get(second);
    if (!bucket) {
      bucket = new Set();
      this.buckets.set(second, bucket);
      this.due.add(second);
    }
    bucket.add(socket);
    if (this.armedFor === undefined || second < this.armedFor) this.arm(second);
  }

  /** The socket closed: it is not kept, nor closed again. The timer stays; it finds nothing and moves on. */
  forget(socket: ExpiringSocket): void {
    const second = secondOf(socket);
    if (second === undefined) return;
    const bucket = this.buckets.get(second);
    if (bucket?.delete(socket) && bucket.size === 0) this.buckets.delete(second);
  }

  onApplicationShutdown(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = undefined;
  }

  private arm(second: number): void {
    clearTimeout(this.timer);
    this.armedFor = second;
    const delay = Math.min(Math.max(0, second * 1000 - Date.now()), MAX_TIMER_MS);
    this.timer = setTimeout(() => this.expire(), delay);
    this.timer.unref(); // expiries alone do not keep the process alive
  }

  /** Closes every bucket that is due, then arms the timer for the next one. */
  private expire(): void {
    this.timer = undefined;
    this.armedFor = undefined;
    const now = Date.now();
    for (let second = this.due.peek(); second !== undefined; second = this.due.peek()) {
      // Not due yet: a clock that stepped back, or a delay cut to MAX_TIMER_MS.
      if (second * 1000 > now) return this.arm(second);
      this.due.pop();
      const bucket = this.buckets.get(second);
      if (!bucket) continue;
      this.buckets.delete(second);
      for (const socket of bucket) socket.close(TOKEN_EXPIRED_CODE, TOKEN_EXPIRED_REASON);
    }
  }
}

/** The second at which the socket's token is expired; undefined for a token without `exp`. */
function secondOf(socket: ExpiringSocket): number | undefined {
  const expiresAt = socket.user.expiresAt;
  return expiresAt === undefined ? undefined : Math.ceil(expiresAt / 1000);
}

/** A binary min-heap of distinct seconds. */
class SecondHeap {
  private readonly items: number[] = [];
  private readonly members = new Set<number>();

  add(second: number): void {
    if (this.members.has(second)) return;
    this.members.add(second);
    const items = this.items;
    let at = items.push(second) - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (items[parent] <= second) break;
      items[at] = items[parent];
      at = parent;
    }
    items[at] = second;
  }

  peek(): number | undefined {
    return this.items[0];
  }

  pop(): void {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined) return;
    this.members.delete(top);
    if (items.length === 0) return;
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && items[right] < items[left] ? right : left;
      if (items[child] >= last) break;
      items[at] = items[child];
      at = child;
    }
    items[at] = last;
  }
}
