import { Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';

/**
 * The instance's Prometheus metrics, in a registry of its own rather than prom-client's global
 * one: tests run several instances in one process, and each must count only its own.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

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
}
