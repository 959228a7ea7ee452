/** Something holding back a socket's writes (see `Peer.holdWrites`). */
export interface HeldWrites {
  /** Lets the held writes go; a no-op when nothing is held. */
  releaseWrites(): void;
}

/**
 * The end-of-turn release of held writes: whatever still holds writes when the event loop
 * reaches its check phase lets them go then, so a write is never held longer than one turn.
 */
export class WriteHolds {
  private held: HeldWrites[] = [];

  releaseAtEndOfTurn(holder: HeldWrites): void {
    if (this.held.push(holder) === 1) setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    const held = this.held;
    this.held = [];
    for (const holder of held) holder.releaseWrites();
  };
}
