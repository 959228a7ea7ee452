import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { LayerUnavailableError } from '../../src/layer/channel-layer';
import type { RedisChannelLayer } from '../../src/layer/redis/redis-channel-layer';
import { RedisLayers } from '../support/redis-layers';
import { RedisServer } from '../support/redis-server';
import { connectedMember, expectNothingBeforeMarker } from '../support/test-member';
import { waitFor } from '../support/wait';
import { frame, freshGroup, TEST_HISTORY } from './channel-layer.fixtures';

/** Redis going away and coming back: availability, re-subscription, presence, ids, logs. */
let server: RedisServer;
const layers = new RedisLayers(() => server);
const logs: Array<{ level: string; message: string }> = [];

beforeAll(async () => {
  server = await RedisServer.start();
  for (const level of ['log', 'warn', 'error'] as const) {
    jest.spyOn(Logger.prototype, level).mockImplementation((message: unknown, ..._context: unknown[]) => {
      logs.push({ level, message: String(message) });
    });
  }
});
afterEach(async () => {
  await layers.cleanup();
  if (!server.running) await server.restart();
});
afterAll(async () => {
  jest.restoreAllMocks();
  await server?.stop();
});

const bothAvailable =
  (...all: RedisChannelLayer[]) =>
  (): boolean =>
    all.every((l) => l.isAvailable());
const noneAvailable =
  (...all: RedisChannelLayer[]) =>
  (): boolean =>
    all.every((l) => !l.isAvailable());

/** A plain client for one command, closed at once. */
async function withRaw<T>(use: (raw: Redis) => Promise<T>): Promise<T> {
  const raw = new Redis(server.url);
  try {
    return await use(raw);
  } finally {
    await raw.quit();
  }
}

it('refuses work while Redis is down, then recovers delivery, presence and ids', async () => {
  const [a, b] = await layers.instances(2);
  const group = freshGroup();
  const onA = await connectedMember(a, 'alice');
  const onB = await connectedMember(b, 'bob');
  await a.join(group, onA);
  await b.join(group, onB);
  const before = await a.send(group, frame({ n: 0 }));
  await onA.next();
  await onB.next();

  logs.length = 0;
  await server.kill();
  await waitFor(noneAvailable(a, b), { timeoutMs: 3000, what: 'both layers to see the outage' });
  const late = await connectedMember(a, 'carol');
  const refused: Array<Promise<unknown>> = [
    a.send(group, frame({ n: 1 })),
    a.send(group, frame({ n: 1 }), { snapshot: { key: freshGroup(), value: '1' } }),
    a.send(group, frame({ n: 1 }), { unlessAbsent: { userId: 'alice', forwardTo: freshGroup() } }),
    a.history(group, { after: 0 }),
    a.countMembers(group),
    a.hasUser(group, 'alice'),
    a.readSnapshot(freshGroup()),
    a.sendTo(onB.id, Buffer.from('{}')),
    a.sendTo(onA.id, Buffer.from('{}')),
    a.join(group, late),
  ];
  for (const call of refused) await expect(call).rejects.toBeInstanceOf(LayerUnavailableError);
  // Local effects need no Redis: leaving and disconnecting still work, and never reject.
  const gone = await connectedMember(b, 'dave');
  await expect(b.disconnect(gone)).resolves.toBeUndefined();

  // A quiet window long enough for ioredis to retry several times (100 ms, 200 ms, ...).
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const lost = logs.filter((l) => /connection to Redis lost/.test(l.message));
  const errors = logs.filter((l) => l.level === 'error');
  expect(lost).toHaveLength(4); // pub and sub of each instance, once each
  expect(errors.length).toBeLessThanOrEqual(4); // the first error of each, not one per retry

  await server.restart(); // same port, empty: counters, presence and subscriptions are gone
  await waitFor(bothAvailable(a, b), { timeoutMs: 10_000, what: 'both layers to recover' });
  expect(logs.filter((l) => /restored/.test(l.message))).toHaveLength(4);

  // Presence was written again before the layers reported themselves available.
  expect(await b.countMembers(group)).toBe(2);
  expect(await b.hasUser(group, 'carol')).toBe(false);
  // Redis lost the group's history: each member is told so, not left in silence.
  const gap = { type: 'gap', since: before, first: null };
  expect(await onA.nextJson()).toEqual(gap);
  expect(await onB.nextJson()).toEqual(gap);
  // The counter was lost: the next id is time-based, still past every id seen before.
  const after = await b.send(group, frame({ n: 2 }));
  expect(after).toBeGreaterThan(before);
  expect(await onA.nextJson()).toEqual({ type: 'test', n: 2, id: after });
  expect(await onB.nextJson()).toEqual({ type: 'test', n: 2, id: after });
  await expectNothingBeforeMarker(b, onA);
  expect(late.frames).toHaveLength(0);
});

it('re-subscribes when only the subscriber connections drop', async () => {
  const [a, b] = await layers.instances(2);
  const group = freshGroup();
  const onB = await connectedMember(b, 'bob');
  await b.join(group, onB);
  await withRaw((raw) => raw.client('KILL', 'TYPE', 'pubsub'));
  await waitFor(bothAvailable(a, b), { timeoutMs: 10_000, what: 'the subscribers to come back' });
  const id = await a.send(group, frame({ n: 1 }));
  expect((await onB.nextJson()).id).toBe(id);
  expect(await a.countMembers(group)).toBe(1);
});

it('corrects presence written while Redis kept its data but refused the connection', async () => {
  const [a, b] = await layers.instances(2);
  const group = freshGroup();
  const [m1, m2] = [await connectedMember(a, 'alice'), await connectedMember(a, 'bob')];
  await a.join(group, m1);
  await a.join(group, m2);
  expect(await b.countMembers(group)).toBe(2);
  await withRaw(async (raw) => {
    // New connections are refused while existing ones (this one) keep working.
    await raw.call('ACL', 'SETUSER', 'default', 'off');
    try {
      await raw.client('KILL', 'TYPE', 'normal');
      await waitFor(() => !a.isAvailable(), { timeoutMs: 3000, what: 'A to lose its connection' });
      await a.leave(group, m2); // its presence write fails and is remembered
      await a.disconnect(m1);
      await a.join(group, m1).catch(() => undefined); // refused: the member stays out
    } finally {
      await raw.call('ACL', 'SETUSER', 'default', 'on');
    }
  });
  await waitFor(bothAvailable(a, b), { timeoutMs: 10_000, what: 'A to reconnect' });
  expect(await b.countMembers(group)).toBe(0);
  expect(await b.hasUser(group, 'bob')).toBe(false);
});

it('writes its presence again when its subscriber comes back, though readers pruned it meanwhile', async () => {
  const [a, b] = await layers.instances(2);
  const group = freshGroup();
  const alice = await connectedMember(a, 'alice');
  await a.join(group, alice);
  const instance = alice.id.split('.')[0];
  await withRaw(async (raw) => {
    // New connections are refused while existing ones keep working; only A's `sub` is cut.
    await raw.call('ACL', 'SETUSER', 'default', 'off');
    try {
      const list = (await raw.client('LIST')) as string;
      const line = list.split('\n').find((l) => l.includes(`name=channel-layer-sub-${instance}`));
      await raw.client('KILL', 'ID', /\bid=(\d+)/.exec(line ?? '')?.[1] ?? 'none');
      await waitFor(() => !a.isAvailable(), { timeoutMs: 3000, what: 'A to lose its subscriber' });
      // B's read finds A's channel unheld, takes A for dead and prunes its presence.
      expect(await b.countMembers(group)).toBe(0);
    } finally {
      await raw.call('ACL', 'SETUSER', 'default', 'on');
    }
  });
  await waitFor(bothAvailable(a, b), { timeoutMs: 10_000, what: 'A to re-subscribe' });
  expect(await b.countMembers(group)).toBe(1);
  expect(await b.hasUser(group, 'alice')).toBe(true);
});

/**
 * Cuts only the `sub` connection of the layer that `member` is on, and runs `meanwhile` while new
 * connections are refused, so it surely runs while that layer has no subscription.
 */
async function withoutSubscriber(layer: RedisChannelLayer, member: { id: string }, meanwhile: () => Promise<void>) {
  const instance = member.id.split('.')[0];
  await withRaw(async (raw) => {
    await raw.call('ACL', 'SETUSER', 'default', 'off');
    try {
      const list = (await raw.client('LIST')) as string;
      const line = list.split('\n').find((l) => l.includes(`name=channel-layer-sub-${instance}`));
      await raw.client('KILL', 'ID', /\bid=(\d+)/.exec(line ?? '')?.[1] ?? 'none');
      await waitFor(() => !layer.isAvailable(), { timeoutMs: 3000, what: 'the subscriber to drop' });
      await meanwhile();
    } finally {
      await raw.call('ACL', 'SETUSER', 'default', 'on');
    }
  });
}

it('catches up by itself on what another instance sent while its subscription was gone', async () => {
  const [a, b] = await layers.instances(2);
  const group = freshGroup();
  const onB = await connectedMember(b, 'bob');
  await b.join(group, onB);
  const ids = [await a.send(group, frame({ n: 0 }))];
  expect((await onB.nextJson()).id).toBe(ids[0]);
  await withoutSubscriber(b, onB, async () => {
    for (let n = 1; n <= 5; n++) ids.push(await a.send(group, frame({ n })));
  });
  await waitFor(bothAvailable(a, b), { timeoutMs: 10_000, what: 'B to re-subscribe' });
  ids.push(await a.send(group, frame({ n: 6 })));
  // Missed frames first, in order, each once, then the live one.
  expect(await onB.nextIds(6)).toEqual(ids.slice(1));
  await expectNothingBeforeMarker(b, onB);
});

it('tells its members of a gap when history no longer holds what they missed', async () => {
  const [a, b] = await layers.instances(2);
  const group = freshGroup();
  const onB = await connectedMember(b, 'bob');
  await b.join(group, onB);
  const ids = [await a.send(group, frame({ n: 0 }))];
  await onB.next();
  await withoutSubscriber(b, onB, async () => {
    for (let n = 1; n <= TEST_HISTORY.size + 3; n++) ids.push(await a.send(group, frame({ n })));
  });
  await waitFor(bothAvailable(a, b), { timeoutMs: 10_000, what: 'B to re-subscribe' });
  const kept = ids.slice(-TEST_HISTORY.size);
  expect(await onB.nextJson()).toEqual({ type: 'gap', since: ids[0], first: kept[0] });
  expect(await onB.nextIds(kept.length)).toEqual(kept);
  await expectNothingBeforeMarker(b, onB);
});

it('logs nothing as a failure on a deliberate shutdown', async () => {
  const [a] = await layers.instances(1);
  await a.join(freshGroup(), await connectedMember(a, 'alice'));
  logs.length = 0;
  await layers.cleanup();
  expect(logs.filter((l) => l.level !== 'log')).toEqual([]);
});
