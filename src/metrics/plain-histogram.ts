/**
 * A histogram kept in plain numbers, for the hot path: an observation is a few compares and three
 * additions, with no allocation and no label lookup (prom-client's `observe` allocates a closure
 * and hashes the labels each time). `HistogramCollector` turns it into Prometheus text at scrape.
 */
export class PlainHistogram {
  /** Observations per bucket, not cumulative: `counts[i]` for `bounds[i - 1] < v <= bounds[i]`, the last for +Inf. */
  readonly counts: Float64Array;
  count = 0;
  sum = 0;

  /** `bounds`: the buckets' upper bounds (Prometheus `le`), ascending. */
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i += 1;
    this.counts[i] += 1;
    this.count += 1;
    this.sum += value;
  }
}
