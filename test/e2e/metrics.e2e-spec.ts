import { Instance } from '../support/instance';
import { metricsOf, scrape, type Scrape } from '../support/prometheus';
import { RedisServer } from '../support/redis-server';
import { Sockets } from '../support/sockets';
import { waitFor } from '../support/wait';
import type { TestClient } from '../support/ws-client';

/**
 * Operations (v2), `GET /metrics`: real instances, real sockets and real traffic, scraped over
 * HTTP and read back from the Prometheus text, each series held to its exact value.
 */

const ENDPOINTS = ['/socket/all', '/ws/chat/:group', '/push/:username', '/ws/room/:room', '/chat/socket/'];
const TOPIC = 'all_patient_page_data';
/** Several sockets per user and many requests: the per-user and per-IP limits must not answer. */
const ROOMY = { WS_MAX_CONNECTIONS_PER_USER: '100', HTTP_RATE_PER_MIN: '100000' };

/** The contract's series, with their Prometheus types. */
const SERIES: Array<[string, string]> = [
  ['ws_connections', 'gauge'],
  ['ws_messages_in_total', 'counter'],
  ['ws_messages_out_total', 'counter'],
  ['ws_fanout_seconds', 'histogram'],
  ['ws_slow_consumer_closes_total', 'counter'],
  ['ws_rate_limited_total', 'counter'],
  ['layer_errors_total', 'counter'],
  ['layer_history_gaps_total', 'counter'],
  ['process_resident_memory_bytes', 'gauge'],
  ['nodejs_eventloop_lag_seconds', 'gauge'],
];

const connections = (s: Scrape, endpoint: string): number => s.value('ws_connections', { endpoint });
const received = (s: Scrape, endpoint: string): number => s.value('ws_messages_in_total', { endpoint });
const written = (s: Scrape, endpoint: string): number => s.value('ws_messages_out_total', { endpoint });
const fanouts = (s: Scrape): number => s.value('ws_fanout_seconds_count');
const gaps = (s: Scrape, reason: string): number => s.value('layer_history_gaps_total', { reason });
const layerErrors = (s: Scrape, op: string): number => s.value('layer_errors_total', { op });

/** Waits until every client has `count` more frames, and returns them (as text). */
async function each(clients: TestClient[], count: number): Promise<string[][]> {
  return Promise.all(clients.map(async (client) => Promise.all(Array.from({ length: count }, () => client.next()))));
}

describe('GET /metrics on the memory layer', () => {
  let instance: Instance;
  let admin: string;
  const sockets = new Sockets();

  beforeAll(async () => {
    instance = await Instance.start({ ...ROOMY, HISTORY_SIZE: '2' });
    admin = await instance.login('root', ['admin']);
  });
  afterEach(() => sockets.closeAll());
  afterAll(async () => {
    await sockets.closeAll();
    await instance?.stop();
  });

  test('a fresh instance: every series of the contract with HELP and TYPE, each endpoint and label at zero', async () => {
    const fresh = await Instance.start();
    try {
      const result = await scrape(fresh.http);
      expect(result.status).toBe(200);
      expect(result.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
      const s = result.scrape as Scrape;
      for (const [name, type] of SERIES) {
        expect([name, s.types.get(name)]).toEqual([name, type]);
        expect(s.help.get(name)).toEqual(expect.any(String));
      }
      for (const endpoint of ENDPOINTS) {
        expect([endpoint, connections(s, endpoint), received(s, endpoint), written(s, endpoint)]).toEqual([
          endpoint,
          0,
          0,
          0,
        ]);
      }
      expect(fanouts(s)).toBe(0);
      expect(s.value('ws_fanout_seconds_sum')).toBe(0);
      expect(s.value('ws_fanout_seconds_bucket', { le: '+Inf' })).toBe(0);
      expect(s.value('ws_slow_consumer_closes_total')).toBe(0);
      for (const limit of ['frames', 'http', 'connections'])
        expect(s.value('ws_rate_limited_total', { limit })).toBe(0);
      for (const op of [
        'send',
        'send_to',
        'join',
        'history',
        'count_members',
        'has_user',
        'claim_socket',
        'read_snapshot',
        'restore',
      ])
        expect(layerErrors(s, op)).toBe(0);
      expect(gaps(s, 'resume')).toBe(0);
      expect(gaps(s, 'catch_up')).toBe(0);
      expect(s.value('process_resident_memory_bytes')).toBeGreaterThan(1024 * 1024);
    } finally {
      await fresh.stop();
    }
  });

  test('ws_connections: 3 sockets on /socket/all and 2 in a room, by route pattern; a close lowers it', async () => {
    const all = await Promise.all([1, 2, 3].map((i) => sockets.as(instance, `u${i}`, '/socket/all')));
    await sockets.as(instance, 'u1', '/ws/room/lobby');
    await sockets.as(instance, 'u2', '/ws/room/other');
    let s = await metricsOf(instance.http);
    expect(connections(s, '/socket/all')).toBe(3);
    expect(connections(s, '/ws/room/:room')).toBe(2);
    expect(connections(s, '/push/:username')).toBe(0);
    await all[0].close();
    await waitFor(async () => connections(await metricsOf(instance.http), '/socket/all') === 2, {
      timeoutMs: 5000,
      what: 'ws_connections{endpoint="/socket/all"} 2',
    });
    s = await metricsOf(instance.http);
    expect(connections(s, '/ws/room/:room')).toBe(2);
    await sockets.closeAll();
    await waitFor(async () => connections(await metricsOf(instance.http), '/ws/room/:room') === 0, {
      timeoutMs: 5000,
      what: 'every room socket closed',
    });
  });

  test('frames in and out: 3 room messages and a ping from one of 2 room sockets count 4 in and 3 × 2 + 1 out', async () => {
    const alice = await sockets.as(instance, 'alice', '/ws/room/counted');
    const bob = await sockets.as(instance, 'bob', '/ws/room/counted');
    const before = await metricsOf(instance.http);
    for (const text of ['one', 'two', 'three']) alice.send({ message: text });
    await each([alice, bob], 3);
    await alice.expectNothingPending(); // the 4th frame in, and its pong the 7th out
    const after = await metricsOf(instance.http);
    expect(received(after, '/ws/room/:room') - received(before, '/ws/room/:room')).toBe(4);
    expect(written(after, '/ws/room/:room') - written(before, '/ws/room/:room')).toBe(7);
    expect(fanouts(after) - fanouts(before)).toBe(3);
    expect(received(after, '/socket/all') - received(before, '/socket/all')).toBe(0);
  });

  test('a notify to K = 4 sockets on /socket/all: ws_messages_out_total +4, one fan-out timed', async () => {
    const all = await Promise.all([1, 2, 3, 4].map((i) => sockets.as(instance, `k${i}`, '/socket/all')));
    const before = await metricsOf(instance.http);
    const answer = await instance.request('POST', `/api/notify/${TOPIC}`, { token: admin, body: { data: [] } });
    expect(answer.status).toBe(202);
    await each(all, 1);
    const after = await metricsOf(instance.http);
    expect(written(after, '/socket/all') - written(before, '/socket/all')).toBe(4);
    expect(received(after, '/socket/all') - received(before, '/socket/all')).toBe(0);
    expect(fanouts(after) - fanouts(before)).toBe(1);
    expect(after.value('ws_fanout_seconds_bucket', { le: '+Inf' })).toBe(fanouts(after));
    expect(after.value('ws_fanout_seconds_sum')).toBeGreaterThan(before.value('ws_fanout_seconds_sum'));
  });

  test('a resume past what history keeps (HISTORY_SIZE 2) sends a gap frame and counts it; a resume within it does not', async () => {
    const sender = await sockets.as(instance, 'carol', '/ws/room/gappy');
    for (const text of ['a', 'b', 'c', 'd', 'e']) sender.send({ message: text });
    const ids = (await sender.take<{ id: number }>(5)).map((frame) => frame.id);
    const before = await metricsOf(instance.http);
    const late = await sockets.as(instance, 'dave', `/ws/room/gappy?since=${ids[0]}`);
    expect(await late.nextJson()).toEqual({ type: 'gap', since: ids[0], first: ids[3] });
    const inTime = await sockets.as(instance, 'erin', `/ws/room/gappy?since=${ids[3]}`);
    expect((await inTime.nextJson<{ id: number }>()).id).toBe(ids[4]);
    await late.take(2);
    const after = await metricsOf(instance.http);
    expect(gaps(after, 'resume') - gaps(before, 'resume')).toBe(1);
    // The replays count as written: the gap frame and 2 frames, then 1 frame.
    expect(written(after, '/ws/room/:room') - written(before, '/ws/room/:room')).toBe(4);
    expect(gaps(after, 'catch_up')).toBe(0);
  });
});

describe('GET /metrics: limits and access', () => {
  const sockets = new Sockets();
  afterEach(() => sockets.closeAll());

  test('frames over WS_MAX_MESSAGES_PER_SEC count in ws_rate_limited_total{limit="frames"}, once per 429 the client got', async () => {
    const instance = await Instance.start({ WS_MAX_MESSAGES_PER_SEC: '1' });
    try {
      const client = await sockets.as(instance, 'fast', '/socket/all');
      for (let i = 0; i < 6; i += 1) client.send({ type: TOPIC });
      const replies = await client.take<{ type: string; code?: number }>(6);
      const refused = replies.filter((reply) => reply.type === 'error' && reply.code === 429).length;
      expect(refused).toBeGreaterThanOrEqual(3); // a bucket of 2, refilled at 1 a second
      const s = await metricsOf(instance.http);
      expect(s.value('ws_rate_limited_total', { limit: 'frames' })).toBe(refused);
      expect(received(s, '/socket/all')).toBe(6);
      expect(written(s, '/socket/all')).toBe(6);
    } finally {
      await sockets.closeAll();
      await instance.stop();
    }
  });

  test('/metrics is outside /api: never rate limited, never counted', async () => {
    const instance = await Instance.start({ HTTP_RATE_PER_MIN: '2' });
    try {
      for (let i = 0; i < 5; i += 1) expect((await scrape(instance.http)).status).toBe(200);
      expect((await metricsOf(instance.http)).value('ws_rate_limited_total', { limit: 'http' })).toBe(0);
    } finally {
      await instance.stop();
    }
  });

  test('with METRICS_TOKEN: 401 without it or with another, 200 with it', async () => {
    const token = 'a-scrape-token-of-some-length';
    const instance = await Instance.start({ METRICS_TOKEN: token });
    try {
      const none = await scrape(instance.http);
      expect(none.status).toBe(401);
      expect(JSON.parse(none.body)).toEqual({
        statusCode: 401,
        message: 'a bearer token (METRICS_TOKEN) is required',
        error: 'Unauthorized',
      });
      expect((await scrape(instance.http, { authorization: `Bearer ${token}x` })).status).toBe(401);
      expect((await scrape(instance.http, { authorization: token })).status).toBe(401);
      const ok = await scrape(instance.http, { authorization: `Bearer ${token}` });
      expect(ok.status).toBe(200);
      expect(ok.scrape?.value('ws_connections', { endpoint: '/socket/all' })).toBe(0);
    } finally {
      await instance.stop();
    }
  });

  test('a METRICS_TOKEN shorter than 16 characters is refused at start-up', async () => {
    await expect(Instance.start({ METRICS_TOKEN: 'short' })).rejects.toThrow(
      'METRICS_TOKEN must be at least 16 characters',
    );
  });
});

describe('GET /metrics on the Redis layer', () => {
  let redis: RedisServer;
  let instance: Instance;
  let admin: string;
  const sockets = new Sockets();

  beforeAll(async () => {
    redis = await RedisServer.start();
    instance = await Instance.start({ ...ROOMY, REDIS_URL: redis.url, REDIS_PREFIX: `m${process.pid}:` });
    admin = await instance.login('root', ['admin']);
  });
  afterAll(async () => {
    await sockets.closeAll();
    await instance?.stop();
    await redis?.stop();
  });

  const healthy = async (status: number): Promise<boolean> =>
    (await instance.request('GET', '/health')).status === status;

  test('a notify fans out through Redis: out +2 and one fan-out timed; Redis restarted empty: a catch-up gap frame per socket', async () => {
    const all = [await sockets.as(instance, 'r1', '/socket/all'), await sockets.as(instance, 'r2', '/socket/all')];
    const before = await metricsOf(instance.http);
    expect((await instance.request('POST', `/api/notify/${TOPIC}`, { token: admin, body: { data: [1] } })).status).toBe(
      202,
    );
    await each(all, 1);
    const after = await metricsOf(instance.http);
    expect(written(after, '/socket/all') - written(before, '/socket/all')).toBe(2);
    expect(fanouts(after) - fanouts(before)).toBe(1);

    await redis.restart();
    await waitFor(() => healthy(200), { timeoutMs: 20_000, what: '/health 200 after the restart' });
    const frames = await each(all, 1);
    for (const [frame] of frames) expect(JSON.parse(frame)).toMatchObject({ type: 'gap', first: null });
    const restarted = await metricsOf(instance.http);
    expect(gaps(restarted, 'catch_up')).toBe(2);
    expect(gaps(restarted, 'resume')).toBe(0);
    expect(layerErrors(restarted, 'send')).toBe(0);
  });

  test('Redis stopped: a notify answered 503 counts one layer_errors_total{op="send"}', async () => {
    const before = await metricsOf(instance.http);
    await redis.stop();
    await waitFor(() => healthy(503), { timeoutMs: 10_000, what: '/health 503 with Redis stopped' });
    const answer = await instance.request('POST', `/api/notify/${TOPIC}`, { token: admin, body: { data: [2] } });
    expect(answer.status).toBe(503);
    const after = await metricsOf(instance.http);
    expect(layerErrors(after, 'send') - layerErrors(before, 'send')).toBe(1);
    expect(layerErrors(after, 'read_snapshot')).toBe(0);
  });
});
