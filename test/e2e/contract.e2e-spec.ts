import { memoryCluster, redisCluster, type Cluster } from '../support/cluster';
import { RedisServer } from '../support/redis-server';
import { waitFor } from '../support/wait';
import type { TestClient } from '../support/ws-client';

/**
 * Every endpoint's happy path, run twice by the same suite: one instance on the memory layer, and
 * two instances sharing Redis with clients spread over both (CONTRACT.md, WebSocket endpoints).
 */
const clusters: Array<[string, () => Promise<{ cluster: Cluster; redis?: RedisServer }>]> = [
  ['memory layer, one instance', async () => ({ cluster: await memoryCluster() })],
  [
    'redis layer, two instances',
    async () => {
      const redis = await RedisServer.start();
      return { cluster: await redisCluster(redis.url), redis };
    },
  ],
];

const PATIENTS = 'all_patient_page_data';
const VISITS = 'all_active_visit_data';
const TS = expect.any(Number) as number;

describe.each(clusters)('contract on the %s', (_name, start) => {
  let cluster: Cluster;
  let redis: RedisServer | undefined;
  let admin: string;
  const open: TestClient[] = [];

  beforeAll(async () => {
    ({ cluster, redis } = await start());
    admin = await cluster.a.login('root', ['admin']);
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((client) => client.close()));
  });

  afterAll(async () => {
    await cluster?.stop();
    await redis?.stop();
  });

  /** Opens a socket as `user` on instance `on`, closed after the test. */
  async function socket(on: 'a' | 'b', path: string, user: string): Promise<TestClient> {
    const instance = cluster[on];
    const client = await instance.connect(path, { token: await instance.login(user) });
    open.push(client);
    return client;
  }

  test('/socket/all: a notify reaches every socket on every instance exactly once', async () => {
    const [onA, onB] = [await socket('a', '/socket/all', 'u1'), await socket('b', '/socket/all', 'u2')];
    const posted = await cluster.a.request('POST', `/api/notify/${PATIENTS}`, {
      token: admin,
      body: { data: [{ name: 'Zhang San', bed: 12 }] },
    });
    expect(posted).toEqual({ status: 202, body: { topic: PATIENTS, id: expect.any(Number) } });
    const { id } = posted.body as { id: number };
    const expected = { type: PATIENTS, data: [{ name: 'Zhang San', bed: 12 }], id };
    expect(await onA.nextJson()).toEqual(expected);
    expect(await onB.nextJson()).toEqual(expected);
    await onA.expectNothingPending();
    await onB.expectNothingPending();
  });

  test('/socket/all: snapshots agree on every instance, over the socket and GET', async () => {
    const onB = await socket('b', '/socket/all', 'u3');
    onB.send({ type: VISITS });
    expect(await onB.nextJson()).toEqual({ type: VISITS, data: null });
    const first = await cluster.a.request('POST', `/api/notify/${VISITS}`, { token: admin, body: { data: 'v1' } });
    const second = await cluster.b.request('POST', `/api/notify/${VISITS}`, { token: admin, body: { data: { n: 2 } } });
    expect((second.body as { id: number }).id).toBeGreaterThan((first.body as { id: number }).id);
    expect(await onB.take(2)).toEqual([
      { type: VISITS, data: 'v1', id: (first.body as { id: number }).id },
      { type: VISITS, data: { n: 2 }, id: (second.body as { id: number }).id },
    ]);
    onB.send({ type: VISITS });
    expect(await onB.nextJson()).toEqual({ type: VISITS, data: { n: 2 } });
    const read = await cluster.a.request('GET', `/api/notify/${VISITS}`, { token: admin });
    expect(read).toEqual({ status: 200, body: { type: VISITS, data: { n: 2 } } });
  });

  test('chat: users on different instances talk both ways, with acks and increasing ids', async () => {
    const alice = await socket('a', '/ws/chat/alice_bob', 'alice');
    const bob = await socket('b', '/ws/chat/bob_alice', 'bob');
    alice.send({ message: 'hi bob', to_user: 'bob' });
    const aliceFrames = await alice.take(2);
    const ack = aliceFrames.find((f) => f.type === 'ack') as { id: number };
    const message = { message: 'hi bob', from: 'alice', group: 'alice_bob', id: ack.id, ts: TS };
    expect(aliceFrames).toContainEqual(message);
    expect(await bob.nextJson()).toEqual(message);

    bob.send({ message: 'hi alice' });
    const bobFrames = await bob.take(2);
    const reply = bobFrames.find((f) => f.type === 'ack') as { id: number };
    expect(reply.id).toBeGreaterThan(ack.id);
    expect(await alice.nextJson()).toEqual({
      message: 'hi alice',
      from: 'bob',
      group: 'alice_bob',
      id: reply.id,
      ts: TS,
    });
    await alice.expectNothingPending();
    await bob.expectNothingPending();
  });

  test('chat: an absent peer gets a push, then both get each message once they join', async () => {
    const carol = await socket('a', '/ws/chat/carol_dave', 'carol');
    const davePush = await socket('b', '/push/dave', 'dave');
    carol.send({ message: 'are you there?' });
    const ack = await carol.nextJson<{ type: string; id: number }>();
    expect(ack).toEqual({ type: 'ack', id: expect.any(Number) });
    expect(await davePush.nextJson()).toEqual({
      event: { message: 'are you there?', from: 'carol', group: 'carol_dave', id: ack.id, ts: TS },
      id: expect.any(Number),
    });
    await carol.expectNothingPending();

    const dave = await socket('b', '/ws/chat/carol_dave', 'dave');
    carol.send({ message: 'welcome' });
    const frames = await carol.take(2);
    const second = frames.find((f) => f.type === 'ack') as { id: number };
    expect(second.id).toBeGreaterThan(ack.id);
    const message = { message: 'welcome', from: 'carol', group: 'carol_dave', id: second.id, ts: TS };
    expect(frames).toContainEqual(message);
    expect(await dave.nextJson()).toEqual(message);
    await davePush.expectNothingPending();
  });

  test('chat: numeric ids are put in numeric order', async () => {
    const nine = await socket('a', '/ws/chat/10_9', '9');
    const ten = await socket('b', '/ws/chat/9_10', '10');
    ten.send({ message: 'n' });
    expect(await nine.nextJson()).toMatchObject({ message: 'n', from: '10', group: '9_10' });
  });

  test('push: every tab of the user, on both instances, gets the event once', async () => {
    const tabA = await socket('a', '/push/erin', 'erin');
    const tabB = await socket('b', '/push/erin', 'erin');
    const pushed = await cluster.a.request('POST', '/api/push/erin', {
      token: admin,
      body: { event: { kind: 'visit' } },
    });
    expect(pushed).toEqual({ status: 202, body: { username: 'erin', id: expect.any(Number) } });
    const frame = { event: { kind: 'visit' }, id: (pushed.body as { id: number }).id };
    expect(await tabA.nextJson()).toEqual(frame);
    expect(await tabB.nextJson()).toEqual(frame);
    await tabA.expectNothingPending();
    await tabB.expectNothingPending();
  });

  test('room: members on both instances, the sender included, get each message once', async () => {
    const frank = await socket('a', '/ws/room/lobby', 'frank');
    const grace = await socket('b', '/ws/room/lobby', 'grace');
    frank.send({ message: 'hello room' });
    const got = await frank.nextJson<{ id: number }>();
    expect(got).toEqual({ message: 'hello room', from: 'frank', room: 'lobby', id: expect.any(Number), ts: TS });
    expect(await grace.nextJson()).toEqual(got);
    grace.send({ message: 'hi frank' });
    const next = await frank.nextJson<{ id: number }>();
    expect(next).toMatchObject({ message: 'hi frank', from: 'grace', room: 'lobby' });
    expect(next.id).toBe(got.id + 1);
    expect(await grace.nextJson()).toEqual(next);
    await frank.expectNothingPending();
    await grace.expectNothingPending();
  });

  test('echo: text is acknowledged, `close` closes with 1000', async () => {
    const echo = await socket('b', '/chat/socket/', 'henry');
    echo.send('你好');
    expect(await echo.next()).toMatch(/^我收到了,\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    echo.send('close');
    expect((await echo.closed).code).toBe(1000);
  });

  test('presence: /api/groups counts sockets across instances', async () => {
    const user = await cluster.a.login('ivan');
    const count = async (on: 'a' | 'b'): Promise<unknown> =>
      (await cluster[on].request('GET', '/api/groups/room.presence', { token: user })).body;
    expect(await count('a')).toEqual({ group: 'room.presence', connections: 0 });
    const one = await socket('a', '/ws/room/presence', 'ivan');
    await socket('b', '/ws/room/presence', 'judy');
    expect(await count('a')).toEqual({ group: 'room.presence', connections: 2 });
    expect(await count('b')).toEqual({ group: 'room.presence', connections: 2 });
    await one.close();
    // A closed socket leaves its groups once the server saw the close; wait for that, bounded.
    const oneLeft = JSON.stringify({ group: 'room.presence', connections: 1 });
    await waitFor(async () => JSON.stringify(await count('b')) === oneLeft, { timeoutMs: 3000, what: 'count 1' });
  });

  test('health names the layer', async () => {
    const kind = redis ? 'redis' : 'memory';
    expect(await cluster.b.request('GET', '/health')).toEqual({ status: 200, body: { status: 'ok', layer: kind } });
  });
});
