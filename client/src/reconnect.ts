// What happens after a socket closed or never opened. One that was open is retried after the next
// backoff delay (the backoff starts over when it held for `resetAfterMs`). One that never opened
// is diagnosed first (probe.ts): a refused handshake closes the client for good, since retrying it
// cannot succeed; anything else is an outage, reported once, and retried. A token the server says
// is no good (close 4001 after an open, a 401 refusal) is renewed first (token.ts), then retried.

import type { Backoff } from './backoff.js';
import { describe } from './dispatch.js';
import { clearTimer, setTimer, type TimerHandle } from './env.js';
import { probe, type PendingProbe } from './probe.js';
import type { TokenSource } from './token.js';
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

/** The close code of a socket whose token's `exp` passed. */
const TOKEN_EXPIRED = 4001;

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
    private readonly tokens: TokenSource,
  ) {}

  /** A socket opened: the outage, if any, is over, and its token was good. */
  opened(): void {
    this.openedAt = Date.now();
    this.outageReported = false;
    this.tokens.opened();
  }

  /**
   * The socket closed (or was given up on), already detached. `opened`: it had opened; `url`: the
   * URL it was opened with, for the probe when it had not; `code`: the close code, if any.
   */
  dropped(opened: boolean, url: string, code?: number): void {
    if (this.target.state() === 'closed') return;
    if (!opened) return void this.diagnose(url);
    if (Date.now() - this.openedAt >= this.options.resetAfterMs) this.options.backoff.reset();
    if (code === TOKEN_EXPIRED) return void this.renewToken({ code, message: 'the token expired' });
    this.target.setState('reconnecting');
    this.scheduleRetry();
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
    if (verdict.refused && verdict.status === 401 && this.tokens.renewable) {
      void this.renewToken({ status: 401, message: verdict.message });
    } else if (verdict.refused) {
      this.target.reportError({ kind: 'refused', status: verdict.status, message: verdict.message });
      this.target.close();
    } else {
      const { status, message, cause } = verdict;
      this.failed({ kind: 'unreachable', message, ...(status === undefined ? {} : { status }), cause });
    }
  }

  /**
   * The server says the token is no good (`why`): asks for a fresh one, then reconnects after the
   * next backoff delay. A getToken that fails is asked again after the next delay. Stops with a
   * `token` error when there is nothing to ask or it was asked `tokenRetries` times since the last
   * open (a token it gave was refused again, or it failed).
   */
  private async renewToken(why: { message: string; status?: number; code?: number }, cause?: unknown): Promise<void> {
    const { tokens, target } = this;
    if (!tokens.renewable) return this.giveUp(`${why.message}, and there is no getToken to ask for another`, why);
    if (tokens.exhausted) {
      const last = cause === undefined ? why.message : describe(cause);
      return this.giveUp(`no usable token after asking getToken ${tokens.attempts} times (${last})`, why, cause);
    }
    target.setState('reconnecting');
    try {
      await tokens.renew();
    } catch (error) {
      if (target.state() === 'closed') return; // closed while getToken ran
      if (tokens.exhausted) return void this.renewToken(why, error);
      clearTimer(this.retryTimer);
      this.retryTimer = setTimer(() => {
        this.retryTimer = undefined;
        void this.renewToken(why, error);
      }, this.options.backoff.next());
      return;
    }
    if (target.state() !== 'closed') this.scheduleRetry();
  }

  private giveUp(message: string, why: { status?: number; code?: number }, cause?: unknown): void {
    const { status, code } = why;
    this.target.reportError({
      kind: 'token',
      message,
      ...(status === undefined ? {} : { status }),
      ...(code === undefined ? {} : { code }),
      ...(cause === undefined ? {} : { cause }),
    });
    this.target.close();
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
