import { Registry } from 'prom-client';
import { HistogramCollector } from '../../src/metrics/histogram-collector';
import { PlainHistogram } from '../../src/metrics/plain-histogram';
import { Scrape } from '../support/prometheus';

/** `ws_fanout_seconds`' histogram in plain numbers, and the Prometheus text prom-client writes from it. */

it('counts each value in the first bucket whose bound it does not pass (le is inclusive), cumulative in the text', async () => {
  const histogram = new PlainHistogram([0.1, 1]);
  for (const value of [0.05, 0.1, 0.5, 1, 3]) histogram.observe(value);
  expect([...histogram.counts]).toEqual([2, 2, 1]);

  const registry = new Registry();
  new HistogramCollector('t_seconds', 'a test histogram', histogram).registerIn(registry);
  const text = await registry.metrics();
  const s = new Scrape(text);
  expect(s.types.get('t_seconds')).toBe('histogram');
  expect(s.help.get('t_seconds')).toBe('a test histogram');
  expect(s.value('t_seconds_bucket', { le: '0.1' })).toBe(2);
  expect(s.value('t_seconds_bucket', { le: '1' })).toBe(4);
  expect(s.value('t_seconds_bucket', { le: '+Inf' })).toBe(5);
  expect(s.value('t_seconds_count')).toBe(5);
  expect(s.value('t_seconds_sum')).toBeCloseTo(4.65, 10);

  registry.resetMetrics();
  const reset = new Scrape(await registry.metrics());
  expect(reset.value('t_seconds_count')).toBe(0);
  expect(reset.value('t_seconds_bucket', { le: '+Inf' })).toBe(0);
});
