import type { Counter } from 'prom-client';
import type { Metrics } from '../../metrics/metrics.service';
import { FrameVerdict } from './frame-rate';
import type { Peer } from '../peers/peer';

/** The reason of the 1008 that closes a socket over its frame rate for 10 s. */
const FRAME_RATE_CLOSE_REASON = 'frame rate limit exceeded';

/**
 * What a frame over its socket's rate gets: not handled (not even parsed), a 429 in turn with the
 * replies to the frames before it, and, for a socket over the limit 10 s on, close 1008 after it.
 * The text `ping` is the exception: the heartbeat must keep working, so it is answered, but it
 * counts toward the bucket and toward the 10 s like any frame.
 */
export class FrameRateRefusal {
  /** `ws_rate_limited_total{limit="frames"}`, bound once: a refusal is then a plain increment. */
  private readonly refused: Counter.Internal;
  private readonly message: string;

  constructor(perSecond: number, metrics: Metrics) {
    this.refused = metrics.rateLimited.labels('frames');
    this.message = `too many frames: at most ${perSecond} a second, in bursts of up to ${2 * perSecond}`;
  }

  answer(peer: Peer, verdict: FrameVerdict, ping: boolean): void {
    const close = verdict === FrameVerdict.Close;
    if (ping) {
      peer.sendText('pong');
      if (close) peer.enqueue(async () => peer.close(1008, FRAME_RATE_CLOSE_REASON));
      return;
    }
    this.refused.inc();
    const msg = this.message;
    peer.enqueue(async () => {
      peer.sendError(429, msg);
      if (close) peer.close(1008, FRAME_RATE_CLOSE_REASON);
    });
  }
}
