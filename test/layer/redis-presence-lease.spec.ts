import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { LayerUnavailableError } from '../../src/layer/channel-layer';
import type { GroupName } from '../../src/layer/group-name';
import { renewLeaseScript } from '../../src/layer/redis/presence-scripts';
import type { RedisChannelLayer } from '../../src/layer/redis/redis-channel-layer';
import { RedisLayers } from '../support/redis-layers';
import { RedisServer } from '../support/redis-server';
import { spawnLayerChild } from '../support/spawn-layer-child';
import { connectedMember, type TestMember } from '../support/test-member';
import { waitFor } from '../support/wait';
import { frame, freshGroup, TEST_HISTORY } from './channel-layer.fixtures';

/**
 * Presence leases (`PRESENCE_LEASE_MS`): an instance that stops renewing with its connections up
 * (frozen, stuck) leaves presence, socket claims and absent-peer decisions when its lease lapses,
 * and comes back with all of it once it renews again.
 */
const LEASE_MS = 1000;
/** How long after a lease could lapse a test waits for it: room for a loaded machine. */
const SLACK_MS = 4000;

let server: RedisServer;
let raw: Redis;
const layers = new RedisLayers(() => server);

beforeAll(async () => {
  server = await RedisServer.start();
  raw = new Redis(server.url);
  for (const level of ['warn', 'error'] as const) {
    jest.spyOn(Logger.prototype, level).mockImplementation(() => undefined);
  }
});
/** The renewals a test holds back (`stallRenewals`): let go and restored after each test. */
let stall: { release: () => void; spy: jest.SpyInstance } | undefined;
afterEach(async () => {
  stall?.release();
  stall?.spy.mockRestore();
  stall = undefined;
  await layers.cleanup();
});
afterAll(async () => {
  jest.restoreAllMocks();
  await raw?.quit();
  await server?.stop();
});

function instanceOf(layer: RedisChannelLayer): string {
  return layer.newMemberId().split('.')[0];
}

/**
 * Holds back every lease renewal of `instance` (its Redis connections stay up, as in a frozen
 * process) until the returned function is called; the held renewals then run.
 */
function stallRenewals(instance: string): () => void {
  const run = renewLeaseScript.run.bind(renewLeaseScript);
  let release = (): void => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const spy = jest.spyOn(renewLeaseScript, 'run').mockImplementation(async (redis, keys, args) => {
    if (args[0] === instance) await released;
    return run(redis, keys, args);
  });
  stall = { release, spy };
  return release;
}

/** Two layers with a short lease: `a` reads, `b` has bob in `group` and will stall. */
async function twoLayers(): Promise<{ a: RedisChannelLayer; b: RedisChannelLayer; prefix: string }> {
  const prefix = RedisLayers.prefix();
  const [a, b] = await layers.instancesOn(prefix, 2, TEST_HISTORY, LEASE_MS);
  return { a, b, prefix };
}

it('stops counting an instance whose renewals stop, and counts it again once it renews', async () => {
  const { a, b } = await twoLayers();
  const [group, inbox] = [freshGroup(), freshGroup('inbox')];
  const bob = await connectedMember(b, 'bob');
  await b.join(group, bob);
  await a.join(group, await connectedMember(a, 'alice'));
  const bobInbox = await connectedMember(a, 'bob');
  await a.join(inbox, bobInbox);
  const unlessAbsent = { userId: 'bob', forwardTo: inbox };

  const resume = stallRenewals(instanceOf(b));
  // Its channel is still held: only the lease can tell.
  expect(await a.countMembers(group)).toBe(2);
  await waitFor(async () => (await a.countMembers(group)) === 1, {
    timeoutMs: LEASE_MS + SLACK_MS,
    what: 'the stalled instance to leave the count',
  });
  expect(await a.hasUser(group, 'bob')).toBe(false);
  // Judged by its own clock, the stalled instance is unavailable too.
  expect(b.isAvailable()).toBe(false);
  await expect(b.join(freshGroup(), bob)).rejects.toBeInstanceOf(LayerUnavailableError);
  const absent = await a.send(group, frame({ n: 1 }), { unlessAbsent });
  expect((await bobInbox.nextJson()).event).toEqual({ type: 'test', n: 1, id: absent });

  resume();
  await waitFor(async () => b.isAvailable() && (await a.countMembers(group)) === 2, {
    timeoutMs: SLACK_MS,
    what: 'the instance to count again',
  });
  expect(await a.hasUser(group, 'bob')).toBe(true);
  const present = await a.send(group, frame({ n: 2 }), { unlessAbsent });
  expect((await bob.nextJson()).id).toBe(present);
  expect(present).toBe(absent + 1);
}, 20_000);

it('drops the socket claims of a lapsed instance and writes them again when it renews', async () => {
  const { a, b } = await twoLayers();
  const onB = { id: b.newMemberId(), userId: 'carol' };
  expect(await b.claimSocket(onB, 1)).toBe(true);
  expect(await a.claimSocket({ id: a.newMemberId(), userId: 'carol' }, 1)).toBe(false);

  const resume = stallRenewals(instanceOf(b));
  const onA = { id: a.newMemberId(), userId: 'carol' };
  await waitFor(() => a.claimSocket(onA, 1), { timeoutMs: LEASE_MS + SLACK_MS, what: "the lapsed instance's claim" });
  resume();
  await waitFor(() => b.isAvailable(), { timeoutMs: SLACK_MS, what: 'the instance to renew' });
  // Both sockets are open, and both count again (the limit was passed while b was away).
  expect(await a.claimSocket({ id: a.newMemberId(), userId: 'carol' }, 2)).toBe(false);
  await b.releaseSocket(onB);
  expect(await a.claimSocket({ id: a.newMemberId(), userId: 'carol' }, 2)).toBe(true);
}, 20_000);

it('drops the claims and the lease of an instance that shuts down', async () => {
  const { a, b, prefix } = await twoLayers();
  const leases = `${prefix}instance-leases`;
  expect((await raw.hkeys(leases)).sort()).toEqual([instanceOf(a), instanceOf(b)].sort());
  for (let n = 0; n < 2; n++) expect(await b.claimSocket({ id: b.newMemberId(), userId: 'dave' }, 2)).toBe(true);
  await b.onApplicationShutdown();
  expect(await raw.hkeys(leases)).toEqual([instanceOf(a)]);
  expect(await raw.smembers(`${prefix}user:dave:sockets`)).toEqual([]);
  for (let n = 0; n < 2; n++) expect(await a.claimSocket({ id: a.newMemberId(), userId: 'dave' }, 2)).toBe(true);
});

it('keeps every key of leases and claims under the prefix', async () => {
  const { a, prefix } = await twoLayers();
  const odd = `*?[x]${'y'.repeat(59)}`;
  expect(await a.claimSocket({ id: a.newMemberId(), userId: odd }, 1)).toBe(true);
  const keys = await raw.keys(`${prefix}*`);
  expect(keys.sort()).toEqual([`${prefix}instance-leases`, `${prefix}user:${odd}:sockets`].sort());
});

it('writes its lease and claims again after Redis restarts empty', async () => {
  const { a, b, prefix } = await twoLayers();
  expect(await a.claimSocket({ id: a.newMemberId(), userId: 'erin' }, 2)).toBe(true);
  expect(await b.claimSocket({ id: b.newMemberId(), userId: 'erin' }, 2)).toBe(true);
  await server.restart();
  await waitFor(() => a.isAvailable() && b.isAvailable(), { timeoutMs: 15_000, what: 'both layers restored' });
  expect(await raw.hlen(`${prefix}instance-leases`)).toBe(2);
  expect(await raw.scard(`${prefix}user:erin:sockets`)).toBe(2);
  expect(await a.claimSocket({ id: a.newMemberId(), userId: 'erin' }, 2)).toBe(false);
}, 30_000);

describe('a layer in a process frozen with SIGSTOP', () => {
  let child: Awaited<ReturnType<typeof spawnLayerChild>> | undefined;
  afterEach(async () => {
    child?.process.kill('SIGCONT');
    await child?.kill();
    child = undefined;
  });

  it('leaves presence and claims within its lease, and is back after SIGCONT', async () => {
    const prefix = RedisLayers.prefix();
    const [a] = await layers.instancesOn(prefix, 1, TEST_HISTORY, LEASE_MS);
    const group: GroupName = freshGroup();
    const mine: TestMember = await connectedMember(a, 'alice');
    await a.join(group, mine);
    const env = { CHILD_REDIS_URL: server.url, CHILD_PREFIX: prefix, CHILD_GROUP: group, CHILD_USER: 'ghost' };
    child = await spawnLayerChild({ ...env, CHILD_LEASE_MS: String(LEASE_MS), CHILD_CLAIM_LIMIT: '1' });
    expect(await a.countMembers(group)).toBe(2);
    expect(await a.claimSocket({ id: a.newMemberId(), userId: 'ghost' }, 1)).toBe(false);

    child.process.kill('SIGSTOP');
    await waitFor(async () => (await a.countMembers(group)) === 1, {
      timeoutMs: LEASE_MS + SLACK_MS,
      what: 'the frozen process to leave the count',
    });
    expect(await a.hasUser(group, 'ghost')).toBe(false);
    expect(await a.claimSocket({ id: a.newMemberId(), userId: 'ghost' }, 1)).toBe(true);

    child.process.kill('SIGCONT');
    await waitFor(async () => (await a.countMembers(group)) === 2, {
      timeoutMs: SLACK_MS,
      what: 'the resumed process to count again',
    });
    expect(await a.hasUser(group, 'ghost')).toBe(true);
    expect(await a.claimSocket({ id: a.newMemberId(), userId: 'ghost' }, 2)).toBe(false);
  }, 30_000);
});
