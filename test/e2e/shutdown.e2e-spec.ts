import { Agent } from 'node:http';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { ChildInstance } from '../support/child-instance';
import { Instance } from '../support/instance';
import { DeafClient, rawGet } from '../support/raw-http';
import { RedisServer } from '../support/redis-server';
import { signToken, TEST_SECRET } from '../support/tokens';
import { withTimeout } from '../support/wait';
import { refusal, TestClient } from '../support/ws-client';

/**
 * Graceful shutdown of the built service (`dist/main.js`) on real SIGTERM and SIGINT: draining
 * refuses new work at once, what was queued is written, every socket is closed with 1001, and the
 * process exits within SHUTDOWN_GRACE_MS whatever its clients do, logging each step.
 */
const ADMIN = signToken({ sub: 'root', roles: ['admin'] });
const token = (user: string): string => signToken({ sub: user });
const SHUTTING_DOWN = { statusCode: 503, message: 'server shutting down', error: 'Service Unavailable' };
/** Slow consumers must not be cut with 1013 here: this is about shutdown, not buffer limits. */
const BIG_BUFFER = String(64 * 1024 * 1024);
/** About 8 MB of pushes: more than loopback's kernel buffers hold for a reader that does not read. */
const PUSHES = 130;
const PAD = 'x'.repeat(62_000);

/** The shutdown log lines, in the order they must appear. */
function expectLogInOrder(log: string, lines: RegExp[]): void {
  let from = 0;
  for (const line of lines) {
    const at = log.slice(from).search(line);
    if (at < 0) throw new Error(`${line} not found after offset ${from} in:\n${log}`);
    from += at + 1;
  }
}

describe('graceful shutdown (dist/main.js, real signals)', () => {
  let service: ChildInstance | undefined;
  const clients: TestClient[] = [];
  const deaf: DeafClient[] = [];

  const start = async (env: Record<string, string> = {}): Promise<ChildInstance> => {
    service = await ChildInstance.start({ JWT_SECRET: TEST_SECRET, WS_MAX_BUFFERED_BYTES: BIG_BUFFER, ...env });
    return service;
  };
  const open = async (path: string, user: string, on: { ws: string } = service!): Promise<TestClient> => {
    const client = await TestClient.open(`${on.ws}${path}`, { token: token(user) });
    clients.push(client);
    return client;
  };
  const push = async (http: string, user: string, event: unknown): Promise<number> => {
    const response = await fetch(`${http}/api/push/${user}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ event }),
    });
    expect(response.status).toBe(202);
    return ((await response.json()) as { id: number }).id;
  };
  /** Signals the process and resolves once it has started draining. */
  const signal = async (name: NodeJS.Signals): Promise<number> => {
    const at = Date.now();
    service!.send(name);
    await service!.waitForLog(new RegExp(`${name}: draining`));
    return at;
  };

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.terminate();
    for (const client of deaf.splice(0)) client.destroy();
    await service?.stop();
    service = undefined;
  });

  test('while draining: a handshake gets 503, /health 503 draining, other requests 503 with Connection: close, idle keep-alive closed', async () => {
    const { ws, http } = await start({ SHUTDOWN_GRACE_MS: '8000' });
    const agent = new Agent({ keepAlive: true });
    const before = await rawGet(`${http}/health`, {}, agent);
    expect(before.status).toBe(200);
    const idleKeepAlive = once(before.socket, 'close');
    // A client that does not read yet holds the instance in its close phase.
    const holder = await open('/socket/all', 'alice');
    holder.socket.pause();

    await signal('SIGTERM');
    // Closed by the server at the signal, not by its keep-alive timeout (5 s after the response).
    await withTimeout(idleKeepAlive, 2000, 'the idle keep-alive connection to be closed');
    agent.destroy();
    expect(await refusal(`${ws}/push/bob`, { token: token('bob') })).toEqual({
      status: 503,
      body: JSON.stringify(SHUTTING_DOWN),
    });
    const health = await rawGet(`${http}/health`);
    expect([health.status, JSON.parse(health.body)]).toEqual([503, { status: 'draining', layer: 'memory' }]);
    expect(health.headers.connection).toBe('close');
    const other = await rawGet(`${http}/api/groups/chat_all_data`, { authorization: `Bearer ${token('bob')}` });
    expect([other.status, JSON.parse(other.body), other.headers.connection]).toEqual([503, SHUTTING_DOWN, 'close']);
    const probe = await rawGet(`${http}/push/bob?token=${token('bob')}`);
    expect([probe.status, JSON.parse(probe.body)]).toEqual([503, SHUTTING_DOWN]);

    holder.socket.resume();
    expect(await withTimeout(holder.closed, 5000, 'close')).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(await service!.exited()).toEqual({ code: 0, signal: null });
  });

  test('a reader far behind gets every frame answered 202, then 1001, within the grace; the log says each step in order', async () => {
    const { http } = await start({ SHUTDOWN_GRACE_MS: '10000' });
    const reader = await open('/push/bob', 'bob');
    reader.socket.pause();
    const ids: number[] = [];
    for (let n = 0; n < PUSHES; n += 1) ids.push(await push(http, 'bob', { n, pad: PAD }));

    const signalled = await signal('SIGTERM');
    // Behind for a while (the old shutdown cut such a reader with 1006 after 500 ms): the instance
    // is still waiting for its queue to be written when it resumes.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(service!.log).not.toMatch(/queued data/);
    reader.socket.resume();

    const frames = await reader.take<{ event: { n: number }; id: number }>(PUSHES, 10_000);
    expect(frames.map((frame) => frame.id)).toEqual(ids);
    expect(frames.map((frame) => frame.event.n)).toEqual(ids.map((_, n) => n));
    expect(await withTimeout(reader.closed, 10_000, 'close')).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(await service!.exited()).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expectLogInOrder(service!.log, [
      /SIGTERM: draining, exit within 10000 ms/,
      /queued data written/,
      /sockets closed 1 with 1001 \(0 cut\)/,
      /layer left/,
      /exit 0/,
    ]);
  });

  test('a client that never reads and one that never answers the close do not hold the process: cut at 3/4, exit 0 within the grace', async () => {
    const { http, ws } = await start({ SHUTDOWN_GRACE_MS: '2000' });
    const stalled = await open('/push/bob', 'bob');
    stalled.socket.pause();
    for (let n = 0; n < PUSHES; n += 1) await push(http, 'bob', { n, pad: PAD });
    const silent = await DeafClient.open(ws, `/push/carol?token=${token('carol')}`);
    deaf.push(silent);

    const signalled = await signal('SIGTERM');
    expect(await service!.exited()).toEqual({ code: 0, signal: null });
    const took = Date.now() - signalled;
    // Cut at 3/4 of the grace (1500 ms), exit right after; never the hard exit at 2000 ms (code 1).
    expect(took).toBeGreaterThanOrEqual(1400);
    expect(took).toBeLessThan(2000 + 500);
    expect(silent.endsWithClose(1001, 'server shutting down')).toBe(true);
    await withTimeout(silent.closed, 5000, 'the silent client to be cut');
    expect(service!.log).not.toMatch(/exit 1/);
    expectLogInOrder(service!.log, [
      /SIGTERM: draining, exit within 2000 ms/,
      /queued data not all written by 1000 ms: closing anyway/,
      /sockets closed 2 with 1001 \(2 cut\)/,
      /layer left/,
      /exit 0/,
    ]);
  });

  test('SIGINT does the same; a second signal starts nothing again', async () => {
    const { http } = await start({ SHUTDOWN_GRACE_MS: '8000' });
    const reader = await open('/socket/all', 'alice');
    const holder = await open('/push/bob', 'bob');
    holder.socket.pause();
    const posted = await fetch(`${http}/api/notify/all_patient_page_data`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ data: 'last words' }),
    });
    expect(posted.status).toBe(202);

    await signal('SIGINT');
    expect(await reader.nextJson()).toMatchObject({ type: 'all_patient_page_data', data: 'last words' });
    expect(await withTimeout(reader.closed, 5000, 'close')).toEqual({ code: 1001, reason: 'server shutting down' });
    service!.send('SIGTERM');
    await service!.waitForLog(/SIGTERM again: already shutting down/);
    holder.socket.resume();
    expect(await withTimeout(holder.closed, 5000, 'close')).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(await service!.exited()).toEqual({ code: 0, signal: null });
    expect(service!.log.match(/draining/g)).toHaveLength(1);
    expectLogInOrder(service!.log, [
      /SIGINT: draining/,
      /sockets closed 2 with 1001 \(0 cut\)/,
      /layer left/,
      /exit 0/,
    ]);
  });

  describe('on Redis, with another instance', () => {
    let redis: RedisServer;
    let survivor: Instance;
    let inspect: Redis;

    beforeAll(async () => {
      redis = await RedisServer.start();
      survivor = await Instance.start({ REDIS_URL: redis.url, REDIS_PREFIX: 'sd:', JWT_SECRET: TEST_SECRET });
      inspect = new Redis(redis.url, { lazyConnect: true });
      await inspect.connect();
    });

    afterAll(async () => {
      inspect?.disconnect();
      await survivor?.stop();
      await redis?.stop();
    });

    test('the leaving instance delivers what was sent just before, leaves presence, and exits 0', async () => {
      const leaving = await start({ REDIS_URL: redis.url, REDIS_PREFIX: 'sd:' });
      const alice = [await open('/push/alice', 'alice'), await open('/push/alice', 'alice')];
      const bob = await open('/push/bob', 'bob', survivor);
      const count = async (group: string): Promise<number> =>
        ((await survivor.request('GET', `/api/groups/${group}`, { token: ADMIN })).body as { connections: number })
          .connections;
      expect(await count('push.alice')).toBe(2);

      // Both answered 202 just before the signal: one crosses to the survivor, one comes back.
      const toBob = await push(leaving.http, 'bob', 'from the leaving instance');
      const toAlice = await push(survivor.http, 'alice', 'to the leaving instance');
      const signalled = await signal('SIGTERM');
      expect(await bob.nextJson()).toEqual({ event: 'from the leaving instance', id: toBob });
      for (const socket of alice) {
        expect(await socket.nextJson()).toEqual({ event: 'to the leaving instance', id: toAlice });
        expect(await withTimeout(socket.closed, 5000, 'close')).toEqual({ code: 1001, reason: 'server shutting down' });
      }
      expect(await leaving.exited()).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalled).toBeLessThan(10_000);

      // Left, not merely dead: no field of it is left for a reader to prune (a killed one leaves them).
      expect(await inspect.hgetall('sd:group:push.alice:conns')).toEqual({});
      expect(await inspect.hgetall('sd:group:push.alice:users')).toEqual({});
      expect(await count('push.alice')).toBe(0);
      expect(await count('push.bob')).toBe(1);
      expectLogInOrder(leaving.log, [/draining/, /sockets closed 2 with 1001 \(0 cut\)/, /layer left/, /exit 0/]);
    });
  });
});
