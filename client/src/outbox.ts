// Messages sent with `sendMessage()` until the server acknowledges them. Each carries a `cid`
// (client id); the server acks a resend of a `cid` it already accepted with the original id and
// does not deliver it again, so after a reconnect the client resends every message not yet
// acknowledged, in order, and nothing is lost or doubled. Acks carry only the id, not the `cid`:
// the server answers a socket's frames in order, one reply each (the ack, or an error frame), so
// replies are matched to what was sent on that socket, oldest first.

import { randomHex } from './env.js';
import type { OutgoingMessage, SendError } from './types.js';

/** A `cid` the server accepts: 1–64 characters. */
const MAX_CID_LENGTH = 64;

interface Entry {
  readonly cid: string;
  readonly text: string;
  resolve(id: number): void;
  reject(error: SendError): void;
}

/** How the outbox took an error frame: the message failed for good, or it is kept to resend. */
export type ErrorVerdict = 'refused' | 'retry' | 'unmatched';

export class Outbox {
  /** Not acknowledged yet, in send order. */
  private readonly waiting: Entry[] = [];
  /** Sent on the current socket and not answered yet, in send order. */
  private inFlight: Entry[] = [];

  get size(): number {
    return this.waiting.length;
  }

  /** Adds a message (a random `cid` unless it has one); the promise settles with its ack. */
  add(message: OutgoingMessage): Promise<number> {
    if (typeof message !== 'object' || message === null || typeof message.message !== 'string') {
      throw new TypeError('sendMessage() takes an object with a string `message`');
    }
    // 128 random bits: a cid must not repeat one of the user's that the server still remembers.
    const cid = message.cid ?? randomHex(16);
    if (typeof cid !== 'string' || cid.length < 1 || cid.length > MAX_CID_LENGTH) {
      throw new TypeError(`cid must be a string of 1-${MAX_CID_LENGTH} characters`);
    }
    const text = JSON.stringify({ ...message, cid });
    let entry: Entry | undefined;
    const promise = new Promise<number>((resolve, reject) => (entry = { cid, text, resolve, reject }));
    // Handled here too, so a caller that never awaits does not get an unhandled rejection.
    promise.catch(() => undefined);
    this.waiting.push(entry as Entry);
    return promise;
  }

  /** A new socket: nothing is in flight on it. */
  reset(): void {
    this.inFlight = [];
  }

  /** What to send on the current socket now: every waiting message not in flight on it, in order. */
  unsent(): readonly Entry[] {
    return this.waiting.filter((entry) => !this.inFlight.includes(entry));
  }

  /** `entry` went out on the current socket. */
  sent(entry: Entry): void {
    this.inFlight.push(entry);
  }

  /** An ack: it answers the oldest message in flight. False when nothing was in flight. */
  ack(id: unknown): boolean {
    const entry = this.inFlight.shift();
    if (!entry) return false;
    this.remove(entry);
    if (typeof id === 'number') entry.resolve(id);
    else entry.reject(sendError('the server acknowledged the message without an id', entry.cid));
    return true;
  }

  /**
   * An error frame: it answers the oldest message in flight. A refusal that will not change (400
   * and the other 4xx but 408 and 429) rejects it; anything else (429, 503, 5xx) keeps it waiting,
   * to be sent again.
   */
  error(code: unknown, msg: unknown): ErrorVerdict {
    const entry = this.inFlight.shift();
    if (!entry) return 'unmatched';
    if (typeof code === 'number' && code >= 400 && code < 500 && code !== 408 && code !== 429) {
      this.remove(entry);
      entry.reject(sendError(`the server refused the message (${code}): ${String(msg)}`, entry.cid, code));
      return 'refused';
    }
    return 'retry';
  }

  /** Rejects every waiting message: the client was closed. */
  failAll(message: string): void {
    const entries = this.waiting.splice(0);
    this.inFlight = [];
    for (const entry of entries) entry.reject(sendError(message, entry.cid));
  }

  private remove(entry: Entry): void {
    const index = this.waiting.indexOf(entry);
    if (index >= 0) this.waiting.splice(index, 1);
  }
}

function sendError(message: string, cid: string, code?: number): SendError {
  return Object.assign(new Error(message), code === undefined ? { cid } : { cid, code });
}
