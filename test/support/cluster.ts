import { Instance } from './instance';

/**
 * The instances a contract test runs against: `a` and `b` are the same instance on the memory
 * layer, and two instances sharing one Redis otherwise, so "a client on A, another on B" proves
 * cross-instance delivery where there is more than one instance.
 */
export interface Cluster {
  readonly name: string;
  readonly a: Instance;
  readonly b: Instance;
  stop(): Promise<void>;
}

export async function memoryCluster(env: Record<string, string> = {}): Promise<Cluster> {
  const only = await Instance.start(env);
  return { name: 'memory', a: only, b: only, stop: () => only.stop() };
}

let prefixes = 0;

/** Two instances on `redisUrl`, with a key prefix of their own (no FLUSHALL between tests). */
export async function redisCluster(redisUrl: string, env: Record<string, string> = {}): Promise<Cluster> {
  const shared = { REDIS_URL: redisUrl, REDIS_PREFIX: `t${process.pid}.${++prefixes}:`, ...env };
  const a = await Instance.start(shared);
  const b = await Instance.start(shared).catch(async (error: unknown) => {
    await a.stop();
    throw error;
  });
  return {
    name: 'redis',
    a,
    b,
    stop: async () => {
      await Promise.all([a.stop(), b.stop()]);
    },
  };
}
