import type { Writable } from 'node:stream';

/**
 * Holds a socket's writes until the end of the event-loop turn, then lets them go out together:
 * one `writev` instead of one per frame. On loopback TCP the system call is most of what a frame
 * costs (bench/README.md, "Where the time goes"), and a chat message gives its sender two frames
 * in the turn it arrives (its own copy and the ack). Holding every recipient of a broadcast
 * instead made fan-out to 10,000 sockets cost ~20% more CPU per delivery: each gets one frame.
 */
export class WriteCoalescer {
  private held: Writable[] = [];

  /** Corks `stream` until this turn's flush; a stream already corked is left as it is. */
  hold(stream: Writable): void {
    if (stream.writableCorked > 0) return;
    stream.cork();
    if (this.held.push(stream) === 1) setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    const held = this.held;
    this.held = [];
    for (const stream of held) stream.uncork();
  };
}
