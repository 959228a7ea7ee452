import type { Metric, Registry } from 'prom-client';
import type { PlainHistogram } from './plain-histogram';

interface HistogramSample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * A `PlainHistogram` as a Prometheus histogram in a prom-client registry: the registry only asks a
 * metric for `name`, `help`, `type`, `get()` and `reset()` (prom-client's own custom collectors
 * rely on the same), so the buckets are read from the plain counts at scrape, made cumulative.
 */
export class HistogramCollector {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly histogram: PlainHistogram,
  ) {}

  /** prom-client's `registerMetric` is typed for its own four classes; this one has their shape. */
  registerIn(registry: Registry): void {
    registry.registerMetric(this as unknown as Metric);
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: HistogramSample[] }> {
    const { bounds, counts, count, sum } = this.histogram;
    const values: HistogramSample[] = [];
    let cumulative = 0;
    for (let i = 0; i < bounds.length; i += 1) {
      cumulative += counts[i];
      values.push({ metricName: `${this.name}_bucket`, labels: { le: bounds[i] }, value: cumulative });
    }
    values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf' }, value: count });
    values.push({ metricName: `${this.name}_sum`, labels: {}, value: sum });
    values.push({ metricName: `${this.name}_count`, labels: {}, value: count });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** `Registry.resetMetrics()`: counts from zero again. */
  reset(): void {
    this.histogram.counts.fill(0);
    this.histogram.count = 0;
    this.histogram.sum = 0;
  }
}
