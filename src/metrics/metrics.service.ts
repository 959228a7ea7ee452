import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { registerCollected } from './collected-metrics';
import { LayerStats } from './layer-stats';
import { WsCounts } from './ws-counts';

/**
 * The instance's Prometheus metrics, in a registry of its own rather than prom-client's global
 * one: tests run several instances in one process, and each must count only its own.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  /** Per-endpoint socket counts, held by each `Peer`: plain increments on the hot path. */
  readonly ws = new WsCounts();

  /** What the channel layer counts (errors, gap frames, fan-out times), in plain numbers. */
  readonly layer = new LayerStats();

  /** Sockets closed with 1013 because their unsent data passed `WS_MAX_BUFFERED_BYTES`. */
  readonly slowConsumerCloses = new Counter({
    name: 'ws_slow_consumer_closes_total',
    help: 'Sockets closed with 1013 because their unsent data passed WS_MAX_BUFFERED_BYTES',
    registers: [this.registry],
  });

  /** Frames, handshakes and HTTP requests refused with 429, by what was limited. */
  readonly rateLimited = new Counter({
    name: 'ws_rate_limited_total',
    help: 'Frames, handshakes and HTTP requests refused with 429, by limit',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  constructor() {
    // Each limit's series exists at zero before its first refusal.
    for (const limit of ['frames', 'http', 'connections']) this.rateLimited.inc({ limit }, 0);
    registerCollected(this.registry, this.ws, this.layer);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text of this instance's series and of the process's (`process_*`, `nodejs_*`). */
  async text(): Promise<string> {
    return Registry.merge([this.registry, processRegistry()]).metrics();
  }
}

let shared: Registry | undefined;

/**
 * Node's default metrics, once per process: they describe the process, which every instance in it
 * shares (tests run several), and each `collectDefaultMetrics` call starts an event-loop delay
 * monitor and a GC observer that are never stopped.
 */
function processRegistry(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
