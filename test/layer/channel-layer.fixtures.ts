import type { ChannelLayer } from '../../src/layer/channel-layer';
import type { HistoryLimits } from '../../src/layer/channel-layer';
import type { Presence } from '../../src/layer/presence';
import { unnumbered, type UnnumberedFrame } from '../../src/wire/numbered';
import { groupName, type GroupName } from '../../src/layer/group-name';

/** Both layer classes keep their own presence too; the suites test the two interfaces together. */
export type LayerUnderTest = ChannelLayer & Presence;

/** History limits of every layer under test: small, so trimming is cheap to reach. */
export const TEST_HISTORY: HistoryLimits = { size: 10, ttlMs: 60_000 };

/** How a test gets layers: every call is a fresh namespace on the same backend. */
export interface ChannelLayerFactory {
  /**
   * How many instances can share one backend: 1 for memory (one process is the whole world),
   * more for Redis. Cases needing more instances are only declared where the backend has them.
   */
  readonly maxInstances: number;
  /** `n` started layers sharing one fresh namespace (a Redis key prefix of their own). */
  instances(n: number, history?: HistoryLimits): Promise<LayerUnderTest[]>;
  /** Stops every layer made since the last call; run after each test. */
  cleanup(): Promise<void>;
}

let groups = 0;
/** A group name no other test uses, so tests never see each other's frames or counters. */
export function freshGroup(label = 'g'): GroupName {
  return groupName(`${label}.${process.pid}.${++groups}`);
}

export function frame(fields: Record<string, unknown>): UnnumberedFrame {
  return unnumbered({ type: 'test', ...fields });
}
