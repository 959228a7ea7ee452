import { Redis } from 'ioredis';
import { expectConsecutive, gapText, paced, range, raws, readUntilId } from '../support/delivery';
import { PATIENTS } from '../support/expectations';
import { Instance } from '../support/instance';
import { RedisServer } from '../support/redis-server';
import { Sockets } from '../support/sockets';
import { waitFor } from '../support/wait';
import type { TestClient } from '../support/ws-client';

/**
 * CONTRACT.md, Delivery (v2), "Instances catch up": an instance whose Redis subscription was
 * dropped (CLIENT KILL of its `sub` connection) delivers, once back, every message it missed, in
 * order, before new live ones; after a Redis restart that lost every key, its sockets get a gap
 * frame, never silence, and then the later messages. Two real instances on a real redis-server,
 * notifies posted to A at a steady ~80/s while the fault happens.
 */

const SUB = 'channel-layer-sub-';
/** The tests post a few hundred notifies a minute; the per-IP limit must not be what answers. */
const UNLIMITED = { HTTP_RATE_PER_MIN: '1000000', WS_MAX_CONNECTIONS_PER_USER: '1000' };
/** ~80 notifies a second. */
const INTERVAL_MS = 12;

let prefixes = 0;

async function withRaw<T>(url: string, use: (raw: Redis) => Promise<T>): Promise<T> {
  const raw = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  await raw.connect();
  try {
    return await use(raw);
  } finally {
    raw.disconnect();
  }
}

/** `CLIENT LIST`: the id of every layer subscriber connection, by its name (one per instance). */
async function subscribers(url: string): Promise<Map<string, string>> {
  const list = await withRaw(url, async (raw) => (await raw.client('LIST')) as string);
  const found = new Map<string, string>();
  for (const line of list.split('\n')) {
    const name = /\bname=(\S+)/.exec(line)?.[1];
    const id = /\bid=(\d+)/.exec(line)?.[1];
    if (name?.startsWith(SUB) && id) found.set(name, id);
  }
  return found;
}

/** When a request started: before Redis was killed, while it was away, or once it was back. */
type Phase = 'before' | 'outage' | 'after';

interface Answer {
  status: number;
  id?: number;
  phase: Phase;
  /** Why the request got no answer at all (status 0), so a failure says what happened. */
  error?: string;
}

describe('Delivery (v2) through Redis faults', () => {
  let redis: RedisServer;
  const instances: Instance[] = [];
  const sockets = new Sockets();

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  afterEach(() => sockets.closeAll());

  afterAll(async () => {
    await sockets.closeAll();
    await Promise.all(instances.splice(0).map((instance) => instance.stop()));
    await redis?.stop();
  });

  /** A and B on a prefix of their own; B's subscriber is the `sub` connection that B's start added. */
  async function startPair(
    extra: Record<string, string> = {},
  ): Promise<{ a: Instance; b: Instance; bSub: string; admin: string }> {
    const env = { ...UNLIMITED, ...extra, REDIS_URL: redis.url, REDIS_PREFIX: `f${process.pid}.${++prefixes}:` };
    const a = await Instance.start(env);
    instances.push(a);
    const before = await subscribers(redis.url);
    const b = await Instance.start(env);
    instances.push(b);
    const added = [...(await subscribers(redis.url)).keys()].filter((name) => !before.has(name));
    expect(added).toHaveLength(1);
    return { a, b, bSub: added[0], admin: await a.login('root', ['admin']) };
  }

  const notify = (on: Instance, admin: string, i: number): Promise<{ status: number; body: unknown }> =>
    on.request('POST', `/api/notify/${PATIENTS}`, { token: admin, body: { data: { i } } });

  test("B's subscriber killed twice mid-stream: B's socket still gets every notify A answered 202, once, in order", async () => {
    const { a, b, bSub, admin } = await startPair();
    const onB = await sockets.as(b, 'on-b', '/socket/all');
    const onA = await sockets.as(a, 'on-a', '/socket/all');
    const TOTAL = 200;
    let answered = 0;
    const answers = paced(
      async (i) => {
        const response = await notify(a, admin, i);
        answered += 1;
        return { i, ...response };
      },
      { intervalMs: INTERVAL_MS, max: TOTAL },
    );

    for (const at of [50, 130]) {
      await waitFor(() => answered >= at, { timeoutMs: 10_000, what: `${at} notifies answered` });
      const old = (await subscribers(redis.url)).get(bSub);
      expect(old).toBeDefined();
      await withRaw(redis.url, (raw) => raw.client('KILL', 'ID', old!));
      // The kill took effect and B's subscriber came back as a new connection.
      await waitFor(async () => ![undefined, old].includes((await subscribers(redis.url)).get(bSub)), {
        timeoutMs: 10_000,
        what: "B's subscriber to reconnect",
      });
    }

    const done = await answers;
    expect(done.filter((r) => r.status !== 202)).toEqual([]);
    const ids = done.map((r) => (r.body as { id: number }).id).sort((x, y) => x - y);
    expectConsecutive(ids);
    const dataOf = new Map(done.map((r) => [(r.body as { id: number }).id, { i: r.i }]));
    const expected = ids.map((id) => ({ type: PATIENTS, data: dataOf.get(id), id }));
    for (const [where, socket] of [
      ['B', onB],
      ['A', onA],
    ] as const) {
      const got = (await readUntilId(socket, ids[ids.length - 1], TOTAL + 10, 10_000)).map(
        (raw) => JSON.parse(raw) as { id?: number },
      );
      expect({ where, ids: got.map((f) => f.id ?? f) }).toEqual({ where, ids });
      expect(got).toEqual(expected);
      await socket.expectNothingPending();
    }
  }, 60_000);

  test("B's subscriber kept away while 10 notifies pass (HISTORY_SIZE 5): B's socket gets a gap naming the last it got, the 5 kept, then live", async () => {
    const { a, b, bSub, admin } = await startPair({ HISTORY_SIZE: '5' });
    const onB = await sockets.as(b, 'held-b', '/socket/all');
    const onA = await sockets.as(a, 'held-a', '/socket/all');
    const posted = async (i: number): Promise<number> => {
      const response = await notify(a, admin, i);
      expect(response).toEqual({ status: 202, body: { topic: PATIENTS, id: expect.any(Number) as unknown } });
      return (response.body as { id: number }).id;
    };
    const id0 = await posted(0);
    const firstFrame = await onA.next();
    expect(await onB.next()).toBe(firstFrame);
    const subId = (await subscribers(redis.url)).get(bSub);
    expect(subId).toBeDefined();

    const sent: string[] = [];
    await withRaw(redis.url, async (raw) => {
      // New connections are refused while existing ones (this one, A's, B's pub) keep working:
      // B's subscriber, once killed, stays away until the ACL is restored.
      await raw.call('ACL', 'SETUSER', 'default', 'off');
      try {
        await raw.client('KILL', 'ID', subId!);
        for (let i = 1; i <= 10; i += 1) expect(await posted(i)).toBe(id0 + i);
        sent.push(...(await raws(onA, 10)));
      } finally {
        await raw.call('ACL', 'SETUSER', 'default', 'on');
      }
    });
    expect(sent.map((raw) => (JSON.parse(raw) as { id: number }).id)).toEqual(range(id0 + 1, id0 + 10));

    expect(await onB.next(10_000)).toBe(gapText(id0, id0 + 6));
    expect(await raws(onB, 5)).toEqual(sent.slice(5));
    await onB.expectNothingPending();
    await onA.expectNothingPending();
    expect(await posted(11)).toBe(id0 + 11);
    const live = await onA.next();
    expect(await onB.next()).toBe(live);
  }, 60_000);

  test('Redis restarted (every key lost) mid-stream: each socket gets the frames before, one gap frame, then every later notify', async () => {
    const { a, b, admin } = await startPair();
    const sockets2 = [await sockets.as(b, 'on-b', '/socket/all'), await sockets.as(a, 'on-a', '/socket/all')];
    let phase: Phase = 'before';
    let acceptedBefore = 0;
    let acceptedAfter = 0;
    const answers = paced<Answer>(
      async (i) => {
        const started = phase;
        const response = await notify(a, admin, i).catch((error: unknown) => ({
          status: 0,
          body: undefined,
          error: describeError(error),
        }));
        if (response.status !== 202) {
          return { status: response.status, phase: started, ...('error' in response && { error: response.error }) };
        }
        if (started === 'before') acceptedBefore += 1;
        if (started === 'after') acceptedAfter += 1;
        return { status: 202, id: (response.body as { id: number }).id, phase: started };
      },
      // At least 200 requests, and at least 20 accepted after the restart; 600 at most (~7 s).
      { intervalMs: INTERVAL_MS, max: 600, until: (i) => i >= 200 && acceptedAfter >= 20 },
    );

    await waitFor(() => acceptedBefore >= 60, { timeoutMs: 10_000, what: '60 notifies accepted' });
    phase = 'outage';
    await redis.kill();
    const health = async (on: Instance): Promise<number> => (await on.request('GET', '/health')).status;
    await waitFor(async () => (await health(a)) === 503 && (await health(b)) === 503, {
      timeoutMs: 10_000,
      what: '/health 503 on both instances',
    });
    await redis.restart();
    phase = 'after';

    const done = await answers;
    // While Redis was away, notifies were refused with 503, never half-accepted.
    expect(done.filter((r) => r.status !== 202 && r.status !== 503)).toEqual([]);
    expect(done.some((r) => r.status === 503)).toBe(true);
    const accepted = done.filter((r) => r.status === 202).map((r) => r.id!);
    expect(new Set(accepted).size).toBe(accepted.length);
    // Requests that started during the outage may have been accepted once Redis was back: they
    // count as accepted, but in neither list.
    const before = done.filter((r) => r.status === 202 && r.phase === 'before').map((r) => r.id!);
    const after = done.filter((r) => r.status === 202 && r.phase === 'after').map((r) => r.id!);
    expect(after.length).toBeGreaterThanOrEqual(20);
    // The group started again at a higher id, never a lower or repeated one.
    expect(Math.min(...after)).toBeGreaterThan(Math.max(...before));
    const last = Math.max(...accepted);
    const acceptedSet = new Set(accepted);

    for (const socket of sockets2) await expectGapThenLater(socket, { before, after, acceptedSet, last });
  }, 60_000);

  /**
   * What a socket must show across the restart: a consecutive prefix of what was accepted before,
   * exactly one gap frame naming the last id it got, then consecutive later ids that include every
   * notify accepted after the restart and end with the last one. Nothing twice, nothing invented.
   */
  async function expectGapThenLater(
    socket: TestClient,
    expected: { before: number[]; after: number[]; acceptedSet: Set<number>; last: number },
  ): Promise<void> {
    const frames = (await readUntilId(socket, expected.last, 1000, 15_000)).map(
      (raw) => JSON.parse(raw) as { type: string; id?: number; since?: number; first?: number | null },
    );
    const gaps = frames.filter((f) => f.type === 'gap');
    if (gaps.length !== 1) {
      const seen = frames.map((f) => (f.type === 'gap' ? f : f.id));
      throw new Error(`expected exactly one gap frame, got ${gaps.length} in ${JSON.stringify(seen)}`);
    }
    const at = frames.indexOf(gaps[0]);
    const got = frames.slice(0, at).map((f) => f.id!);
    const later = frames.slice(at + 1).map((f) => f.id!);
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual([...expected.before].sort((x, y) => x - y).slice(0, got.length));
    expect(gaps[0]).toEqual({ type: 'gap', since: got[got.length - 1], first: gaps[0].first });
    expect([null, later[0]]).toContain(gaps[0].first);
    expectConsecutive(later);
    expect(later.filter((id) => !expected.acceptedSet.has(id))).toEqual([]);
    expect(expected.after.filter((id) => !later.includes(id))).toEqual([]);
    expect(later[0]).toBeGreaterThan(Math.max(...expected.before));
    expect(later[later.length - 1]).toBe(expected.last);
    await socket.expectNothingPending();
  }
});

/** A fetch failure with its cause (undici puts the socket error there), e.g. `TimeoutError` or `ECONNRESET`. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.name} ${error.message}${cause}`;
}
