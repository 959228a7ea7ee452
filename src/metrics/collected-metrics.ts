import { Counter, Gauge, type Registry } from 'prom-client';
import { HistogramCollector } from './histogram-collector';
import { GAP_REASONS, LAYER_OPS, type LayerStats } from './layer-stats';
import type { WsCounts } from './ws-counts';

/** A series' values by label value, read at scrape time. */
type Read = () => Iterable<readonly [string, number]>;

/**
 * The series whose values live in plain numbers on the hot path (`WsCounts`, `LayerStats`), read
 * into prom-client only when scraped. Every label value is set at each scrape, zeros included, so
 * each series exists from the first scrape on (a `rate()` needs the zero).
 */
export function registerCollected(registry: Registry, ws: WsCounts, layer: LayerStats): void {
  const endpoints = (field: 'open' | 'received' | 'written'): Read => {
    return () => Array.from(ws.entries(), ([endpoint, counts]) => [endpoint, counts[field]] as const);
  };
  collectedGauge(
    registry,
    'ws_connections',
    'WebSocket connections open on this instance, by endpoint (route pattern)',
    'endpoint',
    endpoints('open'),
  );
  collectedCounter(
    registry,
    'ws_messages_in_total',
    'WebSocket frames received from clients, by endpoint (route pattern)',
    'endpoint',
    endpoints('received'),
  );
  collectedCounter(
    registry,
    'ws_messages_out_total',
    'WebSocket data frames written to sockets, by endpoint (route pattern)',
    'endpoint',
    endpoints('written'),
  );
  collectedCounter(
    registry,
    'layer_errors_total',
    'Channel layer operations that failed (layer unavailable or a Redis error), by operation',
    'op',
    () => LAYER_OPS.map((op) => [op, layer.errors[op]] as const),
  );
  collectedCounter(
    registry,
    'layer_history_gaps_total',
    'Gap frames written to sockets (history no longer held what they missed), by reason',
    'reason',
    () => GAP_REASONS.map((reason) => [reason, layer.gaps[reason]] as const),
  );
  new HistogramCollector(
    'ws_fanout_seconds',
    'Seconds from a group send (its arrival from Redis, on the Redis layer) to the last local socket write of that frame',
    layer.fanout,
  ).registerIn(registry);
}

function collectedGauge(registry: Registry, name: string, help: string, label: string, read: Read): void {
  new Gauge({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      for (const [value, count] of read()) this.set({ [label]: value }, count);
    },
  });
}

/** A counter set from a running total at each scrape: reset, then the totals. */
function collectedCounter(registry: Registry, name: string, help: string, label: string, read: Read): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      for (const [value, count] of read()) this.inc({ [label]: value }, count);
    },
  });
}
