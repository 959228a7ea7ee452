import { Counter, Gauge, type Registry } from 'prom-client';
import { HistogramCollector } from './histogram-collector';
import { GAP_REASONS, LAYER_OPS, type LayerStats } from './layer-stats';
import type { WsCounts } from './ws-counts';

/**
 * The series whose values live in plain numbers on the hot path (`WsCounts`, `LayerStats`), read
 * into prom-client only when scraped. Every label value is set at each scrape, zeros included, so
 * each series exists from the first scrape on (a `rate()` needs the zero).
 */
export function registerCollected(registry: Registry, ws: WsCounts, layer: LayerStats): void {
  const registers = [registry];
  new Gauge({
    name: 'ws_connections',
    help: 'WebSocket connections open on this instance, by endpoint (route pattern)',
    labelNames: ['endpoint'] as const,
    registers,
    collect() {
      for (const [endpoint, counts] of ws.entries()) this.set({ endpoint }, counts.open);
    },
  });
  new Counter({
    name: 'ws_messages_in_total',
    help: 'WebSocket frames received from clients, by endpoint (route pattern)',
    labelNames: ['endpoint'] as const,
    registers,
    collect() {
      this.reset();
      for (const [endpoint, counts] of ws.entries()) this.inc({ endpoint }, counts.received);
    },
  });
  new Counter({
    name: 'ws_messages_out_total',
    help: 'WebSocket data frames written to sockets, by endpoint (route pattern)',
    labelNames: ['endpoint'] as const,
    registers,
    collect() {
      this.reset();
      for (const [endpoint, counts] of ws.entries()) this.inc({ endpoint }, counts.written);
    },
  });
  new Counter({
    name: 'layer_errors_total',
    help: 'Channel layer operations that failed (layer unavailable or a Redis error), by operation',
    labelNames: ['op'] as const,
    registers,
    collect() {
      this.reset();
      for (const op of LAYER_OPS) this.inc({ op }, layer.errors[op]);
    },
  });
  new Counter({
    name: 'layer_history_gaps_total',
    help: 'Gap frames written to sockets (history no longer held what they missed), by reason',
    labelNames: ['reason'] as const,
    registers,
    collect() {
      this.reset();
      for (const reason of GAP_REASONS) this.inc({ reason }, layer.gaps[reason]);
    },
  });
  new HistogramCollector(
    'ws_fanout_seconds',
    'Seconds from a group send (its arrival from Redis, on the Redis layer) to the last local socket write of that frame',
    layer.fanout,
  ).registerIn(registry);
}
