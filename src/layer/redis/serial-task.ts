/**
 * Runs an async task one at a time. A run asked for while one is under way happens once after it
 * (what it repairs may have broken again meanwhile); a failed run is tried again after `retryMs`
 * when `onFailure` says so. The Redis layer restores itself after a reconnect with it.
 */
export class SerialTask {
  private running = false;
  private again = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly task: () => Promise<void>,
    /** Called with the error of a failed run; true to try again after `retryMs`. */
    private readonly onFailure: (error: unknown) => boolean,
    private readonly retryMs: number,
  ) {}

  async run(): Promise<void> {
    clearTimeout(this.retry);
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      await this.task();
    } catch (error) {
      if (this.onFailure(error)) this.retry = setTimeout(() => void this.run(), this.retryMs);
    } finally {
      this.running = false;
    }
    if (this.again) {
      this.again = false;
      await this.run();
    }
  }

  /** No retry after this; a run under way finishes. */
  stop(): void {
    clearTimeout(this.retry);
  }
}
