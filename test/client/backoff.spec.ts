import { Backoff } from '../../client/src/realtime-client';
import { BACKOFF_DEFAULTS, resolveBackoff } from '../../client/src/backoff';

/** A `random` that returns `values` in turn (then repeats the last). */
function sequence(...values: number[]): () => number {
  let index = 0;
  return () => values[Math.min(index++, values.length - 1)];
}

function delays(backoff: Backoff, count: number): number[] {
  return Array.from({ length: count }, () => backoff.next());
}

describe('Backoff', () => {
  it('defaults: 500 ms, doubling, capped at 15 s, up to half taken off at random', () => {
    expect(BACKOFF_DEFAULTS).toMatchObject({ initialMs: 500, maxMs: 15000, factor: 2, jitter: 0.5 });
    // random 0 takes nothing off: the bare exponential sequence.
    expect(delays(new Backoff({}, () => 0), 8)).toEqual([500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  });

  it('grows by `factor` from `initialMs` and never passes `maxMs`', () => {
    const backoff = new Backoff({ initialMs: 100, factor: 3, maxMs: 1000, jitter: 0 });
    expect(delays(backoff, 6)).toEqual([100, 300, 900, 1000, 1000, 1000]);
    expect(backoff.attempts).toBe(6);
  });

  it('takes off up to `jitter` of each delay: every delay lies in [base * (1 - jitter), base]', () => {
    // Just under 1 is the most random can return: the largest cut.
    const most = new Backoff({ initialMs: 1000, maxMs: 8000, jitter: 0.5 }, () => 0.999999);
    expect(delays(most, 5)).toEqual([500, 1000, 2000, 4000, 4000]);
    const half = new Backoff({ initialMs: 1000, maxMs: 8000, jitter: 0.5 }, () => 0.5);
    expect(delays(half, 5)).toEqual([750, 1500, 3000, 6000, 6000]);

    const bases = [1000, 2000, 4000, 8000, 8000];
    for (let run = 0; run < 200; run += 1) {
      const backoff = new Backoff({ initialMs: 1000, maxMs: 8000, jitter: 0.3 });
      delays(backoff, bases.length).forEach((delay, i) => {
        expect(delay).toBeGreaterThanOrEqual(bases[i] * 0.7);
        expect(delay).toBeLessThanOrEqual(bases[i]);
      });
    }
  });

  it('jitter 0 is exact; jitter 1 may take (almost) everything off but never returns 0', () => {
    expect(delays(new Backoff({ initialMs: 10, jitter: 0 }, () => 0.9), 3)).toEqual([10, 20, 40]);
    expect(delays(new Backoff({ initialMs: 1, jitter: 1 }, () => 0.999999), 3)).toEqual([1, 1, 1]);
  });

  it('clamps a random outside [0, 1)', () => {
    expect(delays(new Backoff({ initialMs: 100, jitter: 0.5 }, sequence(-5, 7)), 2)).toEqual([100, 100]);
  });

  it('reset() starts the sequence again', () => {
    const backoff = new Backoff({ initialMs: 50, factor: 2, maxMs: 1000, jitter: 0 });
    expect(delays(backoff, 4)).toEqual([50, 100, 200, 400]);
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect(delays(backoff, 2)).toEqual([50, 100]);
  });

  it('consults random once per delay', () => {
    const random = jest.fn(() => 0);
    delays(new Backoff({}, random), 3);
    expect(random).toHaveBeenCalledTimes(3);
  });

  it.each([
    [{ initialMs: 0 }, /initialMs/],
    [{ initialMs: Number.NaN }, /initialMs/],
    [{ initialMs: 100, maxMs: 50 }, /maxMs/],
    [{ maxMs: Number.POSITIVE_INFINITY }, /maxMs/],
    [{ factor: 0.5 }, /factor/],
    [{ jitter: -0.1 }, /jitter/],
    [{ jitter: 1.5 }, /jitter/],
    [{ resetAfterMs: -1 }, /resetAfterMs/],
  ])('refuses %j, which would loop tightly or never retry', (options, message) => {
    expect(() => new Backoff(options)).toThrow(RangeError);
    expect(() => resolveBackoff(options)).toThrow(message);
  });

  it('leaves unset (undefined) options at their defaults', () => {
    expect(resolveBackoff({ initialMs: undefined, maxMs: 2000 })).toEqual({ ...BACKOFF_DEFAULTS, maxMs: 2000 });
  });
});
