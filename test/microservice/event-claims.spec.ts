import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { EventClaims } from '../../src/microservice/event-claims';
import { RedisServer } from '../support/redis-server';
import { waitFor } from '../support/wait';

/**
 * The claim script on a real Redis, without Nest: each "instance" is an `EventClaims` plus a
 * subscriber holding its alive channel, as its transport's subscriber does in the app.
 */
let server: RedisServer;
let raw: Redis;
let prefixes = 0;
const opened: Array<{ claims: EventClaims; transport: Redis }> = [];

beforeAll(async () => {
  server = await RedisServer.start();
  raw = new Redis(server.url);
  for (const level of ['log', 'warn', 'error'] as const) {
    jest.spyOn(Logger.prototype, level).mockImplementation(() => undefined);
  }
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map(close));
});
afterAll(async () => {
  jest.restoreAllMocks();
  await raw?.quit();
  await server?.stop();
});

async function close({ claims, transport }: { claims: EventClaims; transport: Redis }): Promise<void> {
  transport.disconnect();
  await claims.onApplicationShutdown();
}

/** `count` instances on a prefix of their own, each registered and live. */
async function instances(count: number): Promise<{ prefix: string; all: EventClaims[]; transports: Redis[] }> {
  const prefix = `claims${++prefixes}:`;
  const started = [];
  for (let i = 0; i < count; i += 1) {
    const claims = new EventClaims(server.url, prefix);
    await claims.onApplicationBootstrap();
    const transport = new Redis(server.url);
    await transport.subscribe(claims.aliveChannel);
    opened.push({ claims, transport });
    started.push({ claims, transport });
  }
  return { prefix, all: started.map((s) => s.claims), transports: started.map((s) => s.transport) };
}

async function ticketKeys(prefix: string): Promise<string[]> {
  return raw.keys(`${prefix}ms:tickets:*`);
}

/** A deterministic shuffle (xorshift), so a failing order can be replayed. */
function shuffle<T>(items: T[], seed: number): T[] {
  let state = seed;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/** Every distinct order of a multiset: each instance index `copies` times. */
function orders(instances: number, copies: number): number[][] {
  const left = Array.from({ length: instances }, () => copies);
  const result: number[][] = [];
  const walk = (prefix: number[]): void => {
    if (prefix.length === instances * copies) result.push(prefix);
    for (let i = 0; i < instances; i += 1) {
      if (left[i] === 0) continue;
      left[i] -= 1;
      walk([...prefix, i]);
      left[i] += 1;
    }
  };
  walk([]);
  return result;
}

async function deliveries(all: EventClaims[], order: number[], data: unknown): Promise<number> {
  let delivered = 0;
  for (const index of order) if (await all[index].claim('notify', data)) delivered += 1;
  return delivered;
}

it('delivers two identical copies exactly twice, in every order of three instances’ claims', async () => {
  const { prefix, all } = await instances(3);
  const every = orders(3, 2);
  expect(every).toHaveLength(90);
  for (const [n, order] of every.entries()) {
    expect({ order, delivered: await deliveries(all, order, { n }) }).toEqual({ order, delivered: 2 });
  }
  // Every ticket was struck off by every instance it listed.
  expect(await ticketKeys(prefix)).toEqual([]);
});

it('delivers k identical copies exactly k times, in shuffled orders of four instances’ claims', async () => {
  const { prefix, all } = await instances(4);
  for (let seed = 1; seed <= 40; seed += 1) {
    const copies = 1 + (seed % 5);
    const order = shuffle(
      all.flatMap((_, index) => Array.from({ length: copies }, () => index)),
      seed,
    );
    expect({ seed, delivered: await deliveries(all, order, { seed }) }).toEqual({ seed, delivered: copies });
  }
  expect(await ticketKeys(prefix)).toEqual([]);
});

it('delivers k identical copies exactly k times when every claim runs at once', async () => {
  const { prefix, all } = await instances(3);
  const copies = 5;
  const replies = await Promise.all(
    all.flatMap((claims) => Array.from({ length: copies }, () => claims.claim('push', { at: 'once' }))),
  );
  expect(replies.filter(Boolean)).toHaveLength(copies);
  expect(await ticketKeys(prefix)).toEqual([]);
});

it('tells events apart by pattern and by data', async () => {
  const { all } = await instances(2);
  const [a, b] = all;
  expect(await a.claim('notify', { n: 1 })).toBe(true);
  expect(await a.claim('push', { n: 1 })).toBe(true);
  expect(await a.claim('notify', { n: 2 })).toBe(true);
  expect(await b.claim('notify', { n: 2 })).toBe(false);
  expect(await b.claim('push', { n: 1 })).toBe(false);
  expect(await b.claim('notify', { n: 1 })).toBe(false);
});

it('leaves an instance whose transport is not subscribed off its tickets', async () => {
  const { prefix, all, transports } = await instances(3);
  const [a, b, c] = all;
  await transports[2].unsubscribe(c.aliveChannel);
  expect(await a.claim('notify', 'x')).toBe(true);
  expect(await b.claim('notify', 'x')).toBe(false);
  expect(await ticketKeys(prefix)).toEqual([]);
  // Still registered (marked dead since now), so it is listed again once subscribed again.
  expect(await raw.hget(`${prefix}ms:instances`, c.instanceId)).not.toBe('0');
  await transports[2].subscribe(c.aliveChannel);
  expect(await a.claim('notify', 'y')).toBe(true);
  expect(await raw.hget(`${prefix}ms:instances`, c.instanceId)).toBe('0');
  expect(await b.claim('notify', 'y')).toBe(false);
  expect(await c.claim('notify', 'y')).toBe(false);
  expect(await ticketKeys(prefix)).toEqual([]);
});

it('a copy an instance missed only makes it skip a later identical copy, which another delivers', async () => {
  const { all } = await instances(2);
  const [a, b] = all;
  expect(await a.claim('notify', 'same')).toBe(true); // b missed this copy: a stale entry for b
  // The next identical event: whichever claims first, exactly one of them delivers it.
  expect(await b.claim('notify', 'same')).toBe(false);
  expect(await a.claim('notify', 'same')).toBe(true);
});

it('claims nothing from the start of shutdown, and unregisters at its end', async () => {
  const { prefix, all } = await instances(2);
  const [a, b] = all;
  a.beforeApplicationShutdown();
  expect(await a.claim('notify', 'late')).toBe(false);
  expect(await b.claim('notify', 'late')).toBe(true);
  await a.onApplicationShutdown();
  expect(await raw.hexists(`${prefix}ms:instances`, a.instanceId)).toBe(0);
});

it('drops an event while Redis is away, and registers again once it is back', async () => {
  const { prefix, all } = await instances(1);
  const [a] = all;
  await server.kill();
  expect(await a.claim('notify', 'lost')).toBe(false);
  await server.restart();
  // Redis came back empty; the claims connection re-registers by itself.
  await waitFor(async () => (await raw.hget(`${prefix}ms:instances`, a.instanceId)) === '0', {
    timeoutMs: 5000,
    what: 're-registration',
  });
  expect(await a.claim('notify', 'back')).toBe(true);
});
