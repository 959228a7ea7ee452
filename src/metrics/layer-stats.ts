import { PlainHistogram } from './plain-histogram';

/** The channel layer's operations that can fail, as `layer_errors_total`'s `op` label. */
export const LAYER_OPS = [
  'send',
  'send_to',
  'join',
  'history',
  'count_members',
  'has_user',
  'claim_socket',
  'read_snapshot',
  'restore',
] as const;
export type LayerOp = (typeof LAYER_OPS)[number];

/** Why a gap frame was sent: a socket resumed past history, or a group caught up after its subscription was lost. */
export const GAP_REASONS = ['resume', 'catch_up'] as const;
export type GapReason = (typeof GAP_REASONS)[number];

/**
 * From 50 µs (a chat of two) to 2.5 s (tens of thousands of sockets on a loaded machine): one
 * group delivery writes to every local member in one synchronous loop.
 */
const FANOUT_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

/**
 * What the channel layer counts, in plain numbers (the layer stays free of prom-client, and its
 * fan-out pays one clock read before and one after the loop, per group delivery, not per member).
 * `Metrics` exposes it as `layer_errors_total`, `layer_history_gaps_total` and `ws_fanout_seconds`.
 */
export class LayerStats {
  readonly errors: Record<LayerOp, number> = zeros(LAYER_OPS);
  /** Gap frames written to sockets, one per socket. */
  readonly gaps: Record<GapReason, number> = zeros(GAP_REASONS);
  /** Seconds from a group send (memory) or its arrival from Redis to the last local member's write. */
  readonly fanout = new PlainHistogram(FANOUT_BUCKETS);
}

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}
