import { performance } from 'node:perf_hooks';

/** What to do with one incoming frame: a plain number, so a verdict allocates nothing. */
export const FrameVerdict = {
  /** Within the limit: handle it. */
  Within: 0,
  /** Over the limit: refuse it with a 429 error frame. */
  Over: 1,
  /** Over the limit for 10 s or more: refuse it, then close the socket with 1008. */
  Close: 2,
} as const;
export type FrameVerdict = (typeof FrameVerdict)[keyof typeof FrameVerdict];

/** Refusals less than this far apart belong to one spell of refusals. */
export const SPELL_GAP_MS = 2000;
/** A refusal this far or further into a spell closes the socket. */
export const SPELL_CLOSE_MS = 10_000;

export type Clock = () => number;

/** Milliseconds from a monotonic clock: a wall-clock step must neither refill nor drain a bucket. */
const monotonicMs: Clock = () => performance.now();

/**
 * The incoming-frame limit of one socket (`WS_MAX_MESSAGES_PER_SEC`): a token bucket holding up to
 * twice the rate, refilled at the rate. The refill is computed when a frame arrives, from the time
 * since the previous one, so a socket costs no timer, and a frame costs a few arithmetic operations
 * and no allocation. A socket that keeps sending over the limit (refusals less than `SPELL_GAP_MS`
 * apart) for `SPELL_CLOSE_MS` is told to close: it is not slowing down.
 */
export class FrameRate {
  private readonly capacity: number;
  private readonly perMs: number;
  private tokens: number;
  private last: number;
  private spellStart = Number.NEGATIVE_INFINITY;
  private lastRefusal = Number.NEGATIVE_INFINITY;

  constructor(
    perSecond: number,
    private readonly now: Clock = monotonicMs,
  ) {
    this.capacity = 2 * perSecond;
    this.perMs = perSecond / 1000;
    this.tokens = this.capacity;
    this.last = now();
  }

  /** Takes a token for one frame; the verdict says whether the frame may be handled. */
  take(): FrameVerdict {
    const now = this.now();
    // `now - last` is never negative on a monotonic clock; the max guards an injected one.
    this.tokens = Math.min(this.capacity, this.tokens + Math.max(0, now - this.last) * this.perMs);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return FrameVerdict.Within;
    }
    if (now - this.lastRefusal >= SPELL_GAP_MS) this.spellStart = now;
    this.lastRefusal = now;
    return now - this.spellStart >= SPELL_CLOSE_MS ? FrameVerdict.Close : FrameVerdict.Over;
  }
}
