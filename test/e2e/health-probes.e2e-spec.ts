// terminus's internal executor: the test reproduces what app.close() does to it.
import { HealthCheckExecutor } from '@nestjs/terminus/dist/health-check/health-check-executor.service';
import { ChildInstance } from '../support/child-instance';
import { Instance } from '../support/instance';
import { rawGet } from '../support/raw-http';
import { RedisServer } from '../support/redis-server';
import { signToken, TEST_SECRET } from '../support/tokens';
import { waitFor, withTimeout } from '../support/wait';
import { TestClient } from '../support/ws-client';

/**
 * `GET /health/live` and `GET /health/ready` (terminus's shape) next to the contract's `/health`:
 * live is 200 whenever the process answers, Redis away and draining included; ready is 503 while
 * draining or while a configured Redis is away, with the failing indicator named; `/health` keeps
 * its own body and statuses.
 */
interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

async function get(base: string, path: string): Promise<Answer> {
  const response = await fetch(base + path, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

const PROCESS_UP = { process: { status: 'up' } };
const LIVE = { status: 'ok', info: PROCESS_UP, error: {}, details: PROCESS_UP };

function ready(kind: 'memory' | 'redis'): unknown {
  const up = { drain: { status: 'up' }, layer: { status: 'up', kind } };
  return { status: 'ok', info: up, error: {}, details: up };
}

describe('health probes: memory layer', () => {
  let server: Instance;

  beforeAll(async () => {
    server = await Instance.start({ HTTP_RATE_PER_MIN: '1' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('live 200, ready 200 in terminus shape, not cached; /health unchanged', async () => {
    const live = await get(server.http, '/health/live');
    expect([live.status, live.body]).toEqual([200, LIVE]);
    expect(live.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
    const readiness = await get(server.http, '/health/ready');
    expect([readiness.status, readiness.body]).toEqual([200, ready('memory')]);
    expect(readiness.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
    const health = await get(server.http, '/health');
    expect([health.status, health.body]).toEqual([200, { status: 'ok', layer: 'memory' }]);
  });

  test('outside /api: not rate-limited (HTTP_RATE_PER_MIN=1)', async () => {
    for (let n = 0; n < 5; n += 1) {
      expect((await get(server.http, '/health/live')).status).toBe(200);
      expect((await get(server.http, '/health/ready')).status).toBe(200);
    }
  });
});

describe('health probes: Redis stopped and started again', () => {
  let redis: RedisServer;
  let server: Instance;

  beforeAll(async () => {
    redis = await RedisServer.start();
    server = await Instance.start({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });

  test('while Redis is away: live 200, ready 503 naming the layer, /health 503 as before; ready 200 once it is back', async () => {
    expect(await get(server.http, '/health/ready')).toMatchObject({ status: 200, body: ready('redis') });

    await redis.stop();
    await waitFor(async () => (await get(server.http, '/health/ready')).status === 503, {
      timeoutMs: 10_000,
      what: '/health/ready 503 with Redis stopped',
    });
    const down = { status: 'down', kind: 'redis', message: 'Redis unreachable' };
    const readiness = await get(server.http, '/health/ready');
    expect([readiness.status, readiness.body]).toEqual([
      503,
      {
        status: 'error',
        info: { drain: { status: 'up' } },
        error: { layer: down },
        details: { drain: { status: 'up' }, layer: down },
      },
    ]);
    const live = await get(server.http, '/health/live');
    expect([live.status, live.body]).toEqual([200, LIVE]);
    const health = await get(server.http, '/health');
    expect([health.status, health.body]).toEqual([503, { status: 'unavailable', layer: 'redis' }]);

    await redis.restart();
    await waitFor(async () => (await get(server.http, '/health/ready')).status === 200, {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: '/health/ready 200 after Redis restarted',
    });
    expect((await get(server.http, '/health/ready')).body).toEqual(ready('redis'));
    expect(await get(server.http, '/health')).toMatchObject({ status: 200, body: { status: 'ok', layer: 'redis' } });
    expect((await get(server.http, '/health/live')).status).toBe(200);
  });
});

describe('health probes while draining (dist/main.js, real SIGTERM)', () => {
  let service: ChildInstance | undefined;
  let holder: TestClient | undefined;

  afterEach(async () => {
    holder?.socket.terminate();
    await service?.stop();
  });

  test('ready 503 naming drain, live 200, /health 503 draining; until the process exits', async () => {
    service = await ChildInstance.start({ JWT_SECRET: TEST_SECRET, SHUTDOWN_GRACE_MS: '8000' });
    // A client that does not read holds the instance in its close phase (up to 3/4 of the grace).
    holder = await TestClient.open(`${service.ws}/socket/all`, { token: signToken({ sub: 'alice' }) });
    holder.socket.pause();
    const before = Date.now();

    service.send('SIGTERM');
    await service.waitForLog(/SIGTERM: draining/);

    const readiness = await rawGet(`${service.http}/health/ready`);
    expect(readiness.status).toBe(503);
    const drain = { status: 'down', message: 'shutting down', since: expect.any(String) as string };
    const layer = { status: 'up', kind: 'memory' };
    expect(JSON.parse(readiness.body)).toEqual({
      status: 'error',
      info: { layer },
      error: { drain },
      details: { drain, layer },
    });
    const since = Date.parse((JSON.parse(readiness.body) as { error: { drain: { since: string } } }).error.drain.since);
    expect(since).toBeGreaterThanOrEqual(before - 1000);
    expect(since).toBeLessThanOrEqual(Date.now());
    // Draining closes every connection after its answer; the probes are answered all the same.
    expect(readiness.headers.connection).toBe('close');
    const live = await rawGet(`${service.http}/health/live`);
    expect([live.status, JSON.parse(live.body)]).toEqual([200, LIVE]);
    const health = await rawGet(`${service.http}/health`);
    expect([health.status, JSON.parse(health.body)]).toEqual([503, { status: 'draining', layer: 'memory' }]);
    // Still draining (the held socket), so these were answered in the drain, not after it.
    expect(service.log).not.toMatch(/sockets closed/);

    holder.socket.resume();
    expect(await withTimeout(holder.closed, 8000, 'close 1001')).toEqual({
      code: 1001,
      reason: 'server shutting down',
    });
    expect(await service.exited()).toEqual({ code: 0, signal: null });
  });
});

describe('health probes once app.close() has begun', () => {
  let server: Instance | undefined;

  afterEach(async () => {
    await server?.stop();
  });

  test("live stays 200 where terminus's own check turns to shutting_down (ready 503)", async () => {
    server = await Instance.start();
    // What Nest's beforeApplicationShutdown hook does to terminus during app.close(), before the
    // HTTP server closes: from then on HealthCheckService answers 503 `shutting_down`.
    server.app.get(HealthCheckExecutor).beforeApplicationShutdown();
    const readiness = await get(server.http, '/health/ready');
    expect([readiness.status, (readiness.body as { status: string }).status]).toEqual([503, 'shutting_down']);
    const live = await get(server.http, '/health/live');
    expect([live.status, live.body]).toEqual([200, LIVE]);
  });
});
