import { Metrics } from '../../src/metrics/metrics.service';
import { memoryCluster, redisCluster, type Cluster } from '../support/cluster';
import { expectErrorBody, groupCount } from '../support/expectations';
import type { Instance } from '../support/instance';
import { RedisServer } from '../support/redis-server';
import { waitFor } from '../support/wait';
import { refusal, type TestClient } from '../support/ws-client';

/**
 * Open sockets per user (`WS_MAX_CONNECTIONS_PER_USER`, default 20): counted over every endpoint
 * and, on Redis, every instance; the next handshake is refused with 429 before the upgrade, and
 * counted in `ws_rate_limited_total{limit="connections"}`.
 */
const REFUSAL = 'too many open sockets for this user';
/** A user id of the longest kind (64 characters). */
const LONG_ID = `${'x'.repeat(62)}-_`;

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.stop();
});

const clusters: Array<[string, (env: Record<string, string>) => Promise<Cluster>]> = [
  ['memory', (env) => memoryCluster(env)],
  ['redis', (env) => redisCluster(redis.url, env)],
];

describe.each(clusters)('connections per user on %s', (_name, start) => {
  let cluster: Cluster | undefined;
  const open: TestClient[] = [];

  afterEach(async () => {
    await Promise.all(open.splice(0).map((client) => client.close()));
    await cluster?.stop();
    cluster = undefined;
  });

  async function connect(on: Instance, path: string, token: string): Promise<TestClient> {
    const client = await on.connect(path, { token });
    open.push(client);
    return client;
  }

  /** The handshake must be refused with 429 and Nest's error body. */
  async function expectCapped(on: Instance, path: string, token: string): Promise<void> {
    const refused = await refusal(on.ws + path, { token });
    expect(refused.status).toBe(429);
    const body = JSON.parse(refused.body) as unknown;
    expectErrorBody(body, 429);
    expect(body).toMatchObject({ message: REFUSAL });
  }

  /** `ws_rate_limited_total{limit="connections"}` summed over the cluster's instances. */
  async function connectionRefusals(of: Cluster): Promise<number> {
    let total = 0;
    for (const instance of new Set([of.a, of.b])) {
      const metric = await instance.app.get(Metrics).rateLimited.get();
      for (const value of metric.values) if (value.labels.limit === 'connections') total += value.value;
    }
    return total;
  }

  test('WS_MAX_CONNECTIONS_PER_USER=3: three sockets over endpoints and instances, the fourth gets 429', async () => {
    const { a, b } = (cluster = await start({ WS_MAX_CONNECTIONS_PER_USER: '3' }));
    const alice = await a.login('alice');
    const first = await connect(a, '/socket/all', alice);
    await connect(b, '/push/alice', alice);
    await connect(a, '/ws/room/lobby', alice);
    await expectCapped(b, '/socket/all', alice);
    await expectCapped(a, '/ws/chat/alice_bob', alice);
    expect(await connectionRefusals(cluster)).toBe(2);
    // A refused handshake joined nothing.
    expect(await groupCount(a, alice, 'chat_all_data')).toBe(1);
    expect(await groupCount(a, alice, 'chat.alice_bob')).toBe(0);

    // Other users are not affected.
    const bob = await b.login('bob');
    for (const on of [a, b, b]) await connect(on, '/socket/all', bob);
    await expectCapped(a, '/chat/socket/', bob);

    // Closing one frees one slot (the server gives it back as it sees the close).
    await first.close();
    await waitFor(
      async () => {
        const client = await b.connect('/socket/all', { token: alice }).catch(() => undefined);
        if (client) open.push(client);
        return client !== undefined;
      },
      { timeoutMs: 5000, intervalMs: 50, what: "alice's freed slot" },
    );
    await expectCapped(a, '/socket/all', alice);
  });

  test('a 64-character user id is capped like any other', async () => {
    const { a, b } = (cluster = await start({ WS_MAX_CONNECTIONS_PER_USER: '1' }));
    const token = await a.login(LONG_ID);
    await connect(b, `/push/${LONG_ID}`, token);
    await expectCapped(a, `/push/${LONG_ID}`, token);
    await expectCapped(b, '/socket/all', token);
  });

  test('unset, the limit is 20: twenty sockets open and the twenty-first is refused', async () => {
    const { a, b } = (cluster = await start({}));
    const carol = await a.login('carol');
    for (let n = 0; n < 20; n++) await connect(n % 2 === 0 ? a : b, '/socket/all', carol);
    expect(await groupCount(a, carol, 'chat_all_data')).toBe(20);
    await expectCapped(b, '/socket/all', carol);
    await expectCapped(a, '/push/carol', carol);
    expect(await connectionRefusals(cluster)).toBe(2);
  });
});
