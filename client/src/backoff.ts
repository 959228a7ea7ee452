// Reconnect delays: exponential, capped, with random jitter. Jitter matters more than it looks:
// when a server restarts, every page it served reconnects at once; without it they would all
// retry on the same beats and hit the new instance in waves.

import type { BackoffOptions } from './types.js';

export const BACKOFF_DEFAULTS = { initialMs: 500, maxMs: 15000, factor: 2, jitter: 0.5, resetAfterMs: 5000 } as const;

export type ResolvedBackoffOptions = Required<BackoffOptions>;

/** Fills in the defaults and refuses values that would make a tight loop or never retry. */
export function resolveBackoff(options: BackoffOptions = {}): ResolvedBackoffOptions {
  const resolved: ResolvedBackoffOptions = { ...BACKOFF_DEFAULTS, ...withoutUndefined(options) };
  const { initialMs, maxMs, factor, jitter, resetAfterMs } = resolved;
  if (!(initialMs >= 1) || !Number.isFinite(initialMs)) throw new RangeError('backoff.initialMs must be >= 1');
  if (!(maxMs >= initialMs) || !Number.isFinite(maxMs)) throw new RangeError('backoff.maxMs must be >= initialMs');
  if (!(factor >= 1) || !Number.isFinite(factor)) throw new RangeError('backoff.factor must be >= 1');
  if (!(jitter >= 0 && jitter <= 1)) throw new RangeError('backoff.jitter must be between 0 and 1');
  if (!(resetAfterMs >= 0)) throw new RangeError('backoff.resetAfterMs must be >= 0');
  return resolved;
}

function withoutUndefined(options: BackoffOptions): BackoffOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/**
 * The delay sequence. The n-th delay (from 0) is `min(maxMs, initialMs * factor^n)` less a random
 * part of up to `jitter` of it: it lies in `[base * (1 - jitter), base]` (and is at least 1), so
 * the cap is never exceeded. `random` returns a number in [0, 1) (default Math.random; tests inject their own).
 */
export class Backoff {
  private readonly options: ResolvedBackoffOptions;
  private attempt = 0;

  constructor(
    options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.options = resolveBackoff(options);
  }

  /** How many delays were handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt, in whole ms; each call moves one step along. */
  next(): number {
    const { initialMs, maxMs, factor, jitter } = this.options;
    const base = Math.min(maxMs, initialMs * factor ** this.attempt);
    this.attempt += 1;
    const fraction = Math.min(Math.max(this.random(), 0), 1);
    // Never 0: a zero delay with jitter 1 would be a tight loop.
    return Math.max(1, Math.round(base * (1 - jitter * fraction)));
  }

  /** Back to the first delay: the connection held, so the next drop is a new incident. */
  reset(): void {
    this.attempt = 0;
  }
}
