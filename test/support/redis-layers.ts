import { randomUUID } from 'node:crypto';
import { RedisChannelLayer } from '../../src/layer/redis/redis-channel-layer';
import type { HistoryLimits } from '../../src/layer/channel-layer';
import { TEST_HISTORY, type ChannelLayerFactory } from '../layer/channel-layer.fixtures';
import type { RedisServer } from './redis-server';

/**
 * Started Redis layers on one server, each call with a key prefix of its own (no FLUSHALL between
 * tests), and all of them shut down by `cleanup`.
 */
export class RedisLayers implements ChannelLayerFactory {
  readonly maxInstances = Number.POSITIVE_INFINITY;
  private readonly started: RedisChannelLayer[] = [];

  constructor(private readonly server: () => RedisServer) {}

  /** A prefix no other test uses. */
  static prefix(): string {
    return `t-${randomUUID().slice(0, 8)}:`;
  }

  instances(n: number, history: HistoryLimits = TEST_HISTORY): Promise<RedisChannelLayer[]> {
    return this.instancesOn(RedisLayers.prefix(), n, history);
  }

  /** `n` layers on the key prefix `prefix`, shared with layers made earlier on it. */
  async instancesOn(
    prefix: string,
    n: number,
    history: HistoryLimits = TEST_HISTORY,
    leaseMs?: number,
  ): Promise<RedisChannelLayer[]> {
    const url = this.server().url;
    const layers = Array.from({ length: n }, () => new RedisChannelLayer({ url, prefix, history, leaseMs }));
    this.started.push(...layers);
    await Promise.all(layers.map((layer) => layer.onModuleInit()));
    return layers;
  }

  async cleanup(): Promise<void> {
    const layers = this.started.splice(0);
    await Promise.all(layers.map((layer) => layer.onApplicationShutdown()));
  }
}
