// What happens after a socket closed or never opened. One that was open is retried after the next
// backoff delay (the backoff starts over when it held for `resetAfterMs`). One that never opened
// is diagnosed first (probe.ts): a refused handshake closes the client for good, since retrying it
// cannot succeed; anything else is an outage, reported once, and retried.

import type { Backoff } from './backoff.js';
import { clearTimer, setTimer, type TimerHandle } from './env.js';
import { probe, type PendingProbe } from './probe.js';
import type { ClientError, ConnectionState } from './types.js';

/** What the reconnect policy needs of the client. */
export interface ReconnectTarget {
  /** The client's state; nothing is retried once it is `closed`. */
  state(): ConnectionState;
  setState(next: ConnectionState): void;
  /** Tells the client's error handlers. */
  reportError(error: ClientError): void;
  /** Starts the next connection attempt. */
  attempt(): void;
  /** Closes the client: the handshake was refused. */
  close(): void;
}

export interface ReconnectOptions {
  backoff: Backoff;
  resetAfterMs: number;
  probeTimeoutMs: number;
}

export class Reconnector {
  private openedAt = 0;
  private retryTimer: TimerHandle | undefined;
  private pendingProbe: PendingProbe | undefined;
  /** `unreachable` is reported once per outage; an open ends the outage. */
  private outageReported = false;

  constructor(
    private readonly options: ReconnectOptions,
    private readonly target: ReconnectTarget,
  ) {}

  /** A socket opened: the outage, if any, is over. */
  opened(): void {
    this.openedAt = Date.now();
    this.outageReported = false;
  }

  /**
   * The socket closed (or was given up on), already detached. `opened`: it had opened; `url`: the
   * URL it was opened with, for the probe when it had not.
   */
  dropped(opened: boolean, url: string): void {
    if (this.target.state() === 'closed') return;
    if (opened) {
      if (Date.now() - this.openedAt >= this.options.resetAfterMs) this.options.backoff.reset();
      this.target.setState('reconnecting');
      this.scheduleRetry();
      return;
    }
    void this.diagnose(url);
  }

  /** An attempt failed and nothing says the server refuses it: an outage, retried. */
  failed(error: ClientError): void {
    if (!this.outageReported) {
      this.outageReported = true;
      this.target.reportError(error);
      if (this.target.state() === 'closed') return; // the error handler closed the client
    }
    this.target.setState('reconnecting');
    this.scheduleRetry();
  }

  /** The client was closed: no retry is pending any more, and a probe's verdict is dropped. */
  stop(): void {
    clearTimer(this.retryTimer);
    this.retryTimer = undefined;
    this.pendingProbe?.cancel();
    this.pendingProbe = undefined;
  }

  /** Closed without ever opening: refused (stop) or unreachable (retry)? Asks the server. */
  private async diagnose(url: string): Promise<void> {
    const pending = probe(url, this.options.probeTimeoutMs);
    this.pendingProbe = pending;
    const verdict = await pending.verdict;
    if (this.pendingProbe !== pending) return; // closed meanwhile: stop() let go of it
    this.pendingProbe = undefined;
    if (verdict.refused) {
      this.target.reportError({ kind: 'refused', status: verdict.status, message: verdict.message });
      this.target.close();
    } else {
      const { status, message, cause } = verdict;
      this.failed({ kind: 'unreachable', message, ...(status === undefined ? {} : { status }), cause });
    }
  }

  private scheduleRetry(): void {
    if (this.target.state() === 'closed') return; // a handler may have closed the client
    clearTimer(this.retryTimer);
    this.retryTimer = setTimer(() => {
      this.retryTimer = undefined;
      this.target.attempt();
    }, this.options.backoff.next());
  }
}
