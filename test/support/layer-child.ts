/**
 * A second process running a Redis layer with one member, so a test can SIGKILL a real instance
 * (no shutdown hook, no clean-up) or SIGSTOP it (frozen, connections up). Started by
 * `spawnLayerChild`; prints `ready` once its member has joined (and, with `CHILD_CLAIM_LIMIT`,
 * claimed its socket). Settings come from the environment, not argv, to keep quoting out of it.
 */
import { Logger } from '@nestjs/common';
import { groupName } from '../../src/layer/group-name';
import { RedisChannelLayer } from '../../src/layer/redis/redis-channel-layer';

async function main(): Promise<void> {
  Logger.overrideLogger(false);
  const env = (name: string): string => {
    const value = process.env[name];
    if (value === undefined) throw new Error(`${name} is not set`);
    return value;
  };
  const history = { size: 10, ttlMs: 60_000 };
  const leaseMs = process.env.CHILD_LEASE_MS === undefined ? undefined : Number(process.env.CHILD_LEASE_MS);
  const layer = new RedisChannelLayer({ url: env('CHILD_REDIS_URL'), prefix: env('CHILD_PREFIX'), history, leaseMs });
  await layer.onModuleInit();
  const member = { id: layer.newMemberId(), userId: env('CHILD_USER'), deliver: () => undefined };
  await layer.connect(member);
  await layer.join(groupName(env('CHILD_GROUP')), member);
  const limit = process.env.CHILD_CLAIM_LIMIT;
  if (limit !== undefined && !(await layer.claimSocket(member, Number(limit)))) throw new Error('claim refused');
  process.stdout.write('ready\n');
  // The open Redis connections keep the process alive until the test kills it.
}

main().catch((error: unknown) => {
  process.stderr.write(`layer child failed: ${String(error)}\n`);
  process.exit(1);
});
