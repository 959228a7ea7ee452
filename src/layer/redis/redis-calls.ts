import type { LayerOp } from '../../metrics/layer-stats';
import { LayerUnavailableError } from '../channel-layer';

/**
 * The layer's Redis calls: each refused while the layer is unavailable, any transport failure
 * mapped to `LayerUnavailableError`, and counted while in flight, so shutdown can wait for them
 * (`ChannelLayer.settle`). A count rather than a promise per call: every send passes here.
 * Each failure counts in `errors` under the call's operation (`layer_errors_total{op}`).
 */
export class RedisCalls {
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly available: () => boolean,
    private readonly errors: Record<LayerOp, number>,
  ) {}

  async run<T>(op: LayerOp, call: () => Promise<T>): Promise<T> {
    if (!this.available()) {
      this.errors[op] += 1;
      throw new LayerUnavailableError();
    }
    this.inFlight += 1;
    try {
      return await call();
    } catch (error) {
      this.errors[op] += 1;
      throw new LayerUnavailableError(error);
    } finally {
      this.ended();
    }
  }

  /** Resolves once no call is in flight. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private ended(): void {
    this.inFlight -= 1;
    if (this.inFlight > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
