// Where a reconnect resumes from, and whether what arrives is still the replay. The last numbered
// frame's id is the next attempt's `since`: the server replays what the socket missed, and a frame
// at or below that id was delivered already (an overlapping replay sends it again) and is dropped.
// What the server sends before live frames (the replay after `since`, or on `/push/:username` the
// pushes that waited) may still be coming after open: the answer to the `ping` sent right after
// open ends it, since the server writes all of that before it reads a frame.

import { LIVE } from './dispatch.js';
import type { FrameInfo } from './types.js';

/** What replayed frames are delivered with. */
const REPLAYED: FrameInfo = Object.freeze({ replayed: true });

export class ResumeTracker {
  /** The socket is open and the replay may still be coming. */
  private replaying = false;

  /** `last`: where the first connect resumes from (undefined: it starts live). */
  constructor(private last: number | undefined) {}

  /** The last numbered frame's id: the next attempt's `since`. */
  get lastId(): number | undefined {
    return this.last;
  }

  /** A socket opened; `markerSent`: the `ping` whose answer ends the replay went out. */
  opened(markerSent: boolean): void {
    this.replaying = markerSent;
  }

  /** A `pong`: true when it answers the replay's marker (the replay is over), not the heartbeat. */
  endsReplay(): boolean {
    if (!this.replaying) return false;
    this.replaying = false;
    return true;
  }

  /** The socket is gone: the next one has a replay of its own. */
  dropped(): void {
    this.replaying = false;
  }

  /** A numbered frame: how to deliver it, or undefined when it was delivered already. */
  receive(id: number): FrameInfo | undefined {
    if (this.last !== undefined && id <= this.last) return undefined;
    this.last = id;
    return this.replaying ? REPLAYED : LIVE;
  }
}
