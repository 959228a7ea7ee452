import { FrameRate, FrameVerdict, SPELL_CLOSE_MS, SPELL_GAP_MS } from '../../src/ws/frames/frame-rate';

/**
 * The incoming-frame limit (`WS_MAX_MESSAGES_PER_SEC`) on an injected clock: a bucket of twice the
 * rate refilled at the rate, and the spell rule that closes a socket still over the limit 10 s on.
 */
describe('FrameRate', () => {
  let now: number;
  const clock = (): number => now;
  const rateOf = (perSecond: number): FrameRate => new FrameRate(perSecond, clock);

  /** Takes `count` frames at the current instant; returns the verdicts. */
  const burst = (rate: FrameRate, count: number): FrameVerdict[] => Array.from({ length: count }, () => rate.take());

  beforeEach(() => {
    now = 1_000;
  });

  it.each([1, 5, 50])('at %i/s accepts exactly twice the rate at once, and refuses the next', (perSecond) => {
    const rate = rateOf(perSecond);
    expect(burst(rate, 2 * perSecond)).toEqual(new Array(2 * perSecond).fill(FrameVerdict.Within));
    expect(rate.take()).toBe(FrameVerdict.Over);
    expect(rate.take()).toBe(FrameVerdict.Over);
  });

  it('refills at the rate: one frame per 1/rate seconds, none for less', () => {
    const rate = rateOf(5);
    burst(rate, 10);
    now += 199;
    expect(rate.take()).toBe(FrameVerdict.Over);
    now += 1; // 200 ms since the burst: one token (the refusal took nothing)
    expect(rate.take()).toBe(FrameVerdict.Within);
    expect(rate.take()).toBe(FrameVerdict.Over);
    now += 1000;
    expect(burst(rate, 5)).toEqual(new Array(5).fill(FrameVerdict.Within));
    expect(rate.take()).toBe(FrameVerdict.Over);
  });

  it('refills no further than twice the rate, however long the socket was quiet', () => {
    const rate = rateOf(5);
    burst(rate, 10);
    now += 3_600_000;
    expect(burst(rate, 10)).toEqual(new Array(10).fill(FrameVerdict.Within));
    expect(rate.take()).toBe(FrameVerdict.Over);
  });

  it('sending at exactly the rate is never refused', () => {
    const rate = rateOf(50);
    for (let i = 0; i < 50 * 30; i += 1) {
      now += 20;
      expect(rate.take()).toBe(FrameVerdict.Within);
    }
  });

  it('a clock that steps back adds nothing', () => {
    const rate = rateOf(5);
    burst(rate, 10);
    now -= 60_000;
    expect(rate.take()).toBe(FrameVerdict.Over);
  });

  it('sustained over the limit: refused with Over until 10 s into the spell, then Close', () => {
    const rate = rateOf(5);
    const verdicts: Array<{ at: number; verdict: FrameVerdict }> = [];
    // 10 frames a second at 5/s: the burst lasts 2 s, then every other frame is refused.
    for (let i = 0; i < 150; i += 1) {
      verdicts.push({ at: now, verdict: rate.take() });
      now += 100;
    }
    const refusals = verdicts.filter((v) => v.verdict !== FrameVerdict.Within);
    const spellStart = refusals[0].at;
    const firstClose = refusals.find((v) => v.verdict === FrameVerdict.Close);
    expect(firstClose?.at).toBe(spellStart + SPELL_CLOSE_MS);
    for (const refusal of refusals) {
      expect(refusal.verdict).toBe(refusal.at - spellStart >= SPELL_CLOSE_MS ? FrameVerdict.Close : FrameVerdict.Over);
    }
  });

  /** Takes frames at the current instant until one is refused (the bucket holds at most 2×rate). */
  const refuseNow = (rate: FrameRate, perSecond: number): FrameVerdict => {
    for (let i = 0; i <= 2 * perSecond; i += 1) {
      const verdict = rate.take();
      if (verdict !== FrameVerdict.Within) return verdict;
    }
    throw new Error('never refused');
  };

  /** Refusals every second from now until `until`; returns the time of the last one. */
  const keepRefusing = (rate: FrameRate, until: number): number => {
    let last = now;
    for (; now <= until; now += 1000) {
      refuseNow(rate, 1);
      last = now;
    }
    now = last;
    return last;
  };

  it('a refusal exactly 10 s into the spell closes; 1 ms before does not', () => {
    const rate = rateOf(1);
    const start = now;
    expect(refuseNow(rate, 1)).toBe(FrameVerdict.Over); // the spell starts
    keepRefusing(rate, start + 8500);
    now = start + SPELL_CLOSE_MS - 1;
    expect(refuseNow(rate, 1)).toBe(FrameVerdict.Over);
    now = start + SPELL_CLOSE_MS;
    expect(refuseNow(rate, 1)).toBe(FrameVerdict.Close);
    expect(rate.take()).toBe(FrameVerdict.Close);
  });

  it('refusals 1999 ms apart are one spell: 10 s after its start, the next refusal closes', () => {
    const rate = rateOf(1);
    const start = now;
    refuseNow(rate, 1);
    const last = keepRefusing(rate, start + 9000);
    now = last + SPELL_GAP_MS - 1;
    expect(now - start).toBeGreaterThanOrEqual(SPELL_CLOSE_MS);
    expect(refuseNow(rate, 1)).toBe(FrameVerdict.Close);
  });

  it('refusals 2 s apart are two spells: the second starts over', () => {
    const rate = rateOf(1);
    const start = now;
    refuseNow(rate, 1);
    const last = keepRefusing(rate, start + 9000);
    now = last + SPELL_GAP_MS;
    const second = now;
    expect(refuseNow(rate, 1)).toBe(FrameVerdict.Over);
    keepRefusing(rate, second + 8500);
    now = second + SPELL_CLOSE_MS - 1;
    expect(refuseNow(rate, 1)).toBe(FrameVerdict.Over);
    now = second + SPELL_CLOSE_MS;
    expect(refuseNow(rate, 1)).toBe(FrameVerdict.Close);
  });

  it('a refusal every 2 s, however long, never closes', () => {
    const rate = rateOf(1);
    for (let i = 0; i < 30; i += 1) {
      expect(refuseNow(rate, 1)).toBe(FrameVerdict.Over);
      now += SPELL_GAP_MS;
    }
  });
});
