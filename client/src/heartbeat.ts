// The seeds' browser heartbeat: the text `ping`, answered by the text `pong`. It exists because a
// socket can die without a close event (a laptop sleeps, a NAT forgets the flow, a proxy drops
// it): the browser keeps reporting `open` for minutes while nothing arrives. Browsers cannot send
// protocol pings, so the application does it with text frames.

import { clearTimer, setTimer, type TimerHandle } from './env.js';

export interface HeartbeatOptions {
  /** Time between a pong and the next ping, in ms; 0 or less turns the heartbeat off. */
  intervalMs: number;
  /** Time a ping may wait for its pong before the peer counts as dead, in ms. */
  timeoutMs: number;
  /** Sends the text `ping`. */
  ping: () => void;
  /** The peer missed a pong; called once per `start()`. */
  onDead: () => void;
}

/**
 * One ping at a time: ping, wait up to `timeoutMs` for the pong, then wait `intervalMs` and ping
 * again. Never two pings in flight, so a slow pong cannot be mistaken for the answer to a later
 * ping, and the period is `intervalMs` plus the round trip.
 */
export class Heartbeat {
  private timer: TimerHandle | undefined;
  private awaitingPong = false;

  constructor(private readonly options: HeartbeatOptions) {}

  get enabled(): boolean {
    return this.options.intervalMs > 0;
  }

  /** Starts (or restarts) for a socket that just opened: the first ping goes after one interval. */
  start(): void {
    this.stop();
    if (this.enabled) this.schedulePing();
  }

  /** A `pong` arrived: the peer is alive. A pong nobody waits for is ignored. */
  pong(): void {
    if (!this.awaitingPong) return;
    this.awaitingPong = false;
    clearTimer(this.timer);
    this.schedulePing();
  }

  /** Clears every timer; safe to call any number of times. */
  stop(): void {
    clearTimer(this.timer);
    this.timer = undefined;
    this.awaitingPong = false;
  }

  private schedulePing(): void {
    this.timer = setTimer(() => {
      this.awaitingPong = true;
      this.timer = setTimer(() => {
        this.stop();
        this.options.onDead();
      }, this.options.timeoutMs);
      // After the timer is set: `ping` may fail and drop the socket, which calls `stop()`.
      this.options.ping();
    }, this.options.intervalMs);
  }
}
