// Topic snapshots (on `/socket/all`): the client asks `{"type":"<topic>"}` once for every topic
// with a handler, and the server answers with the topic's current state. It asks again only when
// that state may have gone stale: a topic nobody listened to for a while, or frames lost to a gap.

/** Topics are the `type`s that are not frames of their own (`ack`, `error`, `gap`). */
function isTopic(type: string): boolean {
  return type !== 'ack' && type !== 'error' && type !== 'gap';
}

export class SnapshotRequests {
  /** Topics whose snapshot was asked for and whose state has not been lost since. */
  private readonly asked = new Set<string>();

  /** `enabled`: the endpoint has topics with snapshots; when false nothing is ever asked. */
  constructor(private readonly enabled: boolean) {}

  /** Asks, through `send`, for the snapshot of every topic in `types` that has none yet. */
  request(types: Iterable<string>, send: (frame: { type: string }) => boolean): void {
    if (!this.enabled) return;
    for (const type of types) {
      if (isTopic(type) && !this.asked.has(type) && send({ type })) this.asked.add(type);
    }
  }

  /** `type`'s state may be stale (no handler kept it up to date): its next handler needs a snapshot. */
  forget(type: string): void {
    this.asked.delete(type);
  }

  /** Every topic's state may be stale. */
  forgetAll(): void {
    this.asked.clear();
  }
}
