import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { LayerUnavailableError } from '../../src/layer/channel-layer';
import { RedisChannelLayer } from '../../src/layer/redis/redis-channel-layer';
import { RedisLayers } from '../support/redis-layers';
import { freePort, RedisServer } from '../support/redis-server';
import { spawnLayerChild } from '../support/spawn-layer-child';
import { connectedMember } from '../support/test-member';
import { waitFor } from '../support/wait';
import { frame, freshGroup, TEST_HISTORY } from './channel-layer.fixtures';

/** Redis-only behaviour: subscriptions, foreign messages, presence of dead instances, start-up. */
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
afterEach(() => layers.cleanup());
afterAll(async () => {
  jest.restoreAllMocks();
  await raw?.quit();
  await server?.stop();
});

async function numsub(channel: string): Promise<number> {
  const reply = (await raw.pubsub('NUMSUB', channel)) as [string, number];
  return Number(reply[1]);
}

it('subscribes a group on the first local join and unsubscribes on the last leave', async () => {
  const prefix = RedisLayers.prefix();
  const [a, b] = await layers.instancesOn(prefix, 2);
  const group = freshGroup();
  const channel = `${prefix}group:${group}`;
  const [m1, m2, m3] = [await connectedMember(a, 'u1'), await connectedMember(a, 'u2'), await connectedMember(b, 'u3')];
  expect(await numsub(channel)).toBe(0);
  await a.join(group, m1);
  expect(await numsub(channel)).toBe(1);
  await a.join(group, m2);
  await b.join(group, m3);
  expect(await numsub(channel)).toBe(2);
  await a.leave(group, m1);
  expect(await numsub(channel)).toBe(2);
  await a.disconnect(m2);
  expect(await numsub(channel)).toBe(1);
  await b.leave(group, m3);
  expect(await numsub(channel)).toBe(0);
});

it('resolves every concurrent join only once the shared SUBSCRIBE is confirmed', async () => {
  const [a, b] = await layers.instances(2);
  const group = freshGroup();
  const [m1, m2] = [await connectedMember(a, 'u1'), await connectedMember(a, 'u2')];
  // Hold back the confirmation of the group's SUBSCRIBE (Redis has already done it).
  let confirm = (): void => undefined;
  const confirmed = new Promise<void>((resolve) => (confirm = resolve));
  const subscribe = Redis.prototype.subscribe;
  const held = jest.spyOn(Redis.prototype, 'subscribe').mockImplementation(function (this: Redis, ...args) {
    const result: Promise<unknown> = Reflect.apply(subscribe, this, args);
    return result.then(async (count) => {
      await confirmed;
      return count;
    });
  });
  try {
    let secondJoined = false;
    const first = a.join(group, m1);
    const second = a.join(group, m2).then(() => (secondJoined = true));
    // A round trip on the command connection: any presence write of the joins is done by now.
    await a.countMembers(group);
    expect(secondJoined).toBe(false);
    confirm();
    await Promise.all([first, second]);
  } finally {
    held.mockRestore();
  }
  await b.send(group, frame({ n: 1 }));
  expect((await m1.nextJson()).n).toBe(1);
  expect((await m2.nextJson()).n).toBe(1);
});

it('rejects joins whose SUBSCRIBE Redis refuses, and leaves the members out', async () => {
  const prefix = RedisLayers.prefix();
  const [a] = await layers.instancesOn(prefix, 1);
  const group = freshGroup();
  const [m1, m2] = [await connectedMember(a, 'u1'), await connectedMember(a, 'u2')];
  // Only the instance channels stay allowed: the group's SUBSCRIBE gets NOPERM.
  await raw.call('ACL', 'SETUSER', 'default', 'resetchannels', `&${prefix}instance:*`);
  try {
    const joins = [a.join(group, m1), a.join(group, m2)];
    for (const join of joins) await expect(join).rejects.toBeInstanceOf(LayerUnavailableError);
  } finally {
    await raw.call('ACL', 'SETUSER', 'default', 'allchannels');
  }
  expect(await a.countMembers(group)).toBe(0);
  expect(await numsub(`${prefix}group:${group}`)).toBe(0);
  expect(a.isAvailable()).toBe(true);
  await a.join(group, m1);
  await a.send(group, frame({ n: 1 }));
  expect((await m1.nextJson()).n).toBe(1);
  expect(m2.frames).toHaveLength(0);
});

it('drops foreign and garbage messages and keeps delivering', async () => {
  const prefix = RedisLayers.prefix();
  const [a] = await layers.instancesOn(prefix, 1);
  const group = freshGroup();
  const member = await connectedMember(a, 'u1');
  await a.join(group, member);
  const groupChannel = `${prefix}group:${group}`;
  for (const junk of ['garbage', '', '{"unterminated', Buffer.from([0xff, 0xfe, 0x7b]), 'x}']) {
    expect(await raw.publish(groupChannel, junk)).toBe(1);
  }
  const instanceChannel = (await raw.pubsub('CHANNELS', `${prefix}instance:*`)) as string[];
  expect(instanceChannel).toHaveLength(1);
  for (const junk of ['no newline', '\n{}', `${a.newMemberId()}\n{"to":"nobody"}`, Buffer.from([0xc3, 0x0a])]) {
    await raw.publish(instanceChannel[0], junk);
  }
  await raw.publish(`${prefix}group:not-joined-here`, '{"stray":true}');
  const id = await a.send(group, frame({ n: 1 }));
  expect(await member.nextJson()).toEqual({ type: 'test', n: 1, id });
  expect(member.frames).toHaveLength(1);
});

it('ignores and prunes the presence of instances whose channel nobody holds', async () => {
  const prefix = RedisLayers.prefix();
  const [a] = await layers.instancesOn(prefix, 1);
  const group = freshGroup();
  await a.join(group, await connectedMember(a, 'alice'));
  const [conns, users] = [`${prefix}group:${group}:conns`, `${prefix}group:${group}:users`];
  // What an instance killed without cleanup leaves: fields, and no subscriber on its channel.
  await raw.hset(conns, 'dead', 5, 'ghost', 2);
  await raw.hset(users, 'dead:zoe', 5, 'ghost:yan', 2);
  expect(await a.hasUser(group, 'zoe')).toBe(false);
  expect(await a.hasUser(group, 'yan')).toBe(false);
  expect(await a.countMembers(group)).toBe(1);
  expect(Object.keys(await raw.hgetall(conns))).toHaveLength(1);
  expect(Object.keys(await raw.hgetall(users))).toEqual([expect.stringMatching(/:alice$/)]);
});

it('stops counting an instance killed with SIGKILL as soon as Redis sees its connections close', async () => {
  const prefix = RedisLayers.prefix();
  const [a] = await layers.instancesOn(prefix, 1);
  const group = freshGroup();
  await a.join(group, await connectedMember(a, 'alice'));
  const child = await spawnLayerChild({
    CHILD_REDIS_URL: server.url,
    CHILD_PREFIX: prefix,
    CHILD_GROUP: group,
    CHILD_USER: 'ghost',
  });
  try {
    expect(await a.countMembers(group)).toBe(2);
    expect(await a.hasUser(group, 'ghost')).toBe(true);
  } finally {
    await child.kill();
  }
  // The kernel closed the child's sockets with the process; Redis drops the client on reading
  // that, within a few milliseconds. The bound leaves room for a loaded CI machine.
  const killedAt = Date.now();
  await waitFor(async () => (await a.countMembers(group)) === 1, { timeoutMs: 2000, what: 'the kill to count' });
  expect(Date.now() - killedAt).toBeLessThan(2000);
  expect(await a.hasUser(group, 'ghost')).toBe(false);
  expect(await raw.hlen(`${prefix}group:${group}:conns`)).toBe(1); // pruned by the reads
});

it('removes its presence at once on a clean shutdown', async () => {
  const prefix = RedisLayers.prefix();
  const [a, b] = await layers.instancesOn(prefix, 2);
  const group = freshGroup();
  await a.join(group, await connectedMember(a, 'alice'));
  await b.join(group, await connectedMember(b, 'bob'));
  expect(await a.countMembers(group)).toBe(2);
  await b.onApplicationShutdown();
  expect(b.isAvailable()).toBe(false);
  expect(await raw.hlen(`${prefix}group:${group}:conns`)).toBe(1);
  expect(await a.countMembers(group)).toBe(1);
});

it('sends Redis nothing while idle but its lease renewal, every third of the lease', async () => {
  const [a] = await layers.instancesOn(RedisLayers.prefix(), 1, TEST_HISTORY, 1500);
  const member = await connectedMember(a, 'alice');
  await a.join(freshGroup(), member);
  const instance = member.id.split('.')[0];
  const list = (await raw.client('LIST')) as string;
  const addressOf = (role: string): string | undefined =>
    /\baddr=(\S+)/.exec(
      list.split('\n').find((line) => line.includes(`name=channel-layer-${role}-${instance}`)) ?? '',
    )?.[1];
  const [pub, sub] = [addressOf('pub'), addressOf('sub')];
  expect(pub).toBeDefined();
  expect(sub).toBeDefined();
  const monitor = await raw.monitor();
  const sent: Array<{ from: string; command: string }> = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === pub || source === sub) sent.push({ from: source, command: args.slice(0, 2).join(' ') });
  });
  try {
    // Nothing to await: the claim is what does not happen. 2.6 s hold five renewal periods.
    await new Promise((resolve) => setTimeout(resolve, 2600));
  } finally {
    monitor.disconnect();
  }
  const renewals = sent.filter((entry) => entry.from === pub && /^(evalsha|eval) /i.test(entry.command));
  expect(sent).toEqual(renewals); // nothing from `sub`, nothing else from `pub`
  expect(new Set(renewals.map((entry) => entry.command)).size).toBe(1); // one script: the renewal
  expect(renewals.length).toBeGreaterThanOrEqual(3);
  expect(renewals.length).toBeLessThanOrEqual(7);
}, 15_000);

it('refuses to start, without retrying forever, when Redis is unreachable', async () => {
  const url = `redis://:hunter2@127.0.0.1:${await freePort()}`;
  const layer = new RedisChannelLayer({ url, prefix: 'x:', history: TEST_HISTORY });
  const failure = layer.onModuleInit();
  await expect(failure).rejects.toThrow(/Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/? is unreachable/);
  await expect(failure).rejects.not.toThrow(/hunter2/);
  expect(layer.isAvailable()).toBe(false);
  await expect(layer.send(freshGroup(), frame({}))).rejects.toBeInstanceOf(LayerUnavailableError);
  await layer.onApplicationShutdown();
});
