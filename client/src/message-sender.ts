// When the messages of `sendMessage()` go out: the outbox (outbox.ts) keeps them until they are
// acknowledged; they are sent as they are added while the socket is open, all of them again on
// every open, and after a backoff when the server answered one with a passing error (429, 503).

import { Backoff } from './backoff.js';
import { clearTimer, setTimer, type TimerHandle } from './env.js';
import { Outbox } from './outbox.js';
import type { BackoffOptions, OutgoingMessage } from './types.js';

export class MessageSender {
  private readonly outbox = new Outbox();
  /** Resends messages the server answered with a passing error (429, 503) while open. */
  private resendTimer: TimerHandle | undefined;
  private readonly resendBackoff: Backoff;

  /** `sendText`: sends on the open socket; false when there is none (or it is closing). */
  constructor(
    backoff: BackoffOptions | undefined,
    private readonly sendText: (text: string) => boolean,
  ) {
    this.resendBackoff = new Backoff(backoff);
  }

  get unacknowledged(): number {
    return this.outbox.size;
  }

  /** Adds a message; sent now if `open`, else on the next open. Settles with its ack. */
  add(message: OutgoingMessage, open: boolean): Promise<number> {
    const acked = this.outbox.add(message);
    if (open) this.flush();
    return acked;
  }

  /** A socket opened: nothing is in flight on it, every unacknowledged message goes out. */
  opened(): void {
    this.outbox.reset();
    this.flush();
  }

  /** An `ack` frame arrived. */
  ack(id: unknown): void {
    if (this.outbox.ack(id)) this.resendBackoff.reset();
  }

  /** An `error` frame arrived. */
  error(code: unknown, msg: unknown): void {
    if (this.outbox.error(code, msg) === 'retry') this.scheduleResend();
  }

  /** The socket is gone: the next open resends everything unacknowledged. */
  dropped(): void {
    clearTimer(this.resendTimer);
    this.resendTimer = undefined;
  }

  /** Rejects every unacknowledged message with `message`: the client was closed. */
  failAll(message: string): void {
    this.outbox.failAll(message);
  }

  /** Sends every unacknowledged message not yet sent on this socket, oldest first. */
  private flush(): void {
    for (const entry of this.outbox.unsent()) {
      if (!this.sendText(entry.text)) return; // dropping: the next open resends it
      this.outbox.sent(entry);
    }
  }

  private scheduleResend(): void {
    if (this.resendTimer !== undefined) return;
    this.resendTimer = setTimer(() => {
      this.resendTimer = undefined;
      this.flush();
    }, this.resendBackoff.next());
  }
}
