import { AppConfig } from '../../src/config/app-config';
import { Metrics } from '../../src/metrics/metrics.service';
import { trustProxySetting } from '../../src/rate-limit/trust-proxy';
import { expectErrorBody } from '../support/expectations';
import { Instance } from '../support/instance';
import { Sockets } from '../support/sockets';
import { signToken, TEST_SECRET } from '../support/tokens';

/**
 * HTTP requests per client IP on `/api/*` (`HTTP_RATE_PER_MIN`), over real HTTP: one count per
 * address across every `/api` route, dev-login included; the request past the limit gets 429 with
 * `Retry-After`; `/health`, static files, the handshake probe and WebSocket handshakes are not
 * counted; `X-Forwarded-For` names the client only when `TRUST_PROXY` says so.
 */
const LIMIT = 5;
const admin = signToken({ sub: 'root', roles: ['admin'] });

interface Answer {
  status: number;
  body: unknown;
  retryAfter: string | null;
}

async function call(
  server: Instance,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<Answer> {
  const response = await fetch(server.http + path, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (a static file): kept as text
  }
  return { status: response.status, body: parsed, retryAfter: response.headers.get('retry-after') };
}

const bearer = { authorization: `Bearer ${admin}` };

/** Five different /api routes: the limit counts them together. */
const FIVE_ROUTES: Array<[method: string, path: string, headers: Record<string, string>, body?: unknown]> = [
  ['POST', '/api/auth/dev-login', {}, { username: 'alice' }],
  ['GET', '/api/notify/all_patient_page_data', bearer],
  ['GET', '/api/groups/chat_all_data', bearer],
  ['POST', '/api/push/bob', {}, { event: 1 }], // 401 without a token: counted all the same
  ['POST', '/api/notify/all_patient_page_data', bearer, { data: [] }],
];

async function httpRefused(server: Instance): Promise<number> {
  const metric = await server.app.get(Metrics).rateLimited.get();
  return metric.values.find((v) => v.labels.limit === 'http')?.value ?? 0;
}

function expectTooMany(answer: Answer): void {
  expect(answer.status).toBe(429);
  expectErrorBody(answer.body, 429);
  expect(answer.retryAfter).toMatch(/^[1-9][0-9]*$/);
  expect(Number(answer.retryAfter)).toBeLessThanOrEqual(60);
}

describe(`HTTP rate limit (HTTP_RATE_PER_MIN=${LIMIT})`, () => {
  const servers: Instance[] = [];
  const sockets = new Sockets();
  const start = async (env: Record<string, string> = {}): Promise<Instance> => {
    const server = await Instance.start({ JWT_SECRET: TEST_SECRET, HTTP_RATE_PER_MIN: String(LIMIT), ...env });
    servers.push(server);
    return server;
  };

  afterEach(async () => {
    await sockets.closeAll();
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  test('five requests over five /api routes pass; the sixth, to dev-login, gets 429 with Retry-After', async () => {
    const server = await start();
    const statuses = [];
    for (const [method, path, headers, body] of FIVE_ROUTES) {
      statuses.push((await call(server, method, path, headers, body)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 401, 202]);
    const sixth = await call(server, 'POST', '/api/auth/dev-login', {}, { username: 'alice' });
    expectTooMany(sixth);
    // The window started with the first request, a moment ago: about a minute to wait.
    expect(Number(sixth.retryAfter)).toBeGreaterThanOrEqual(55);
    expect((sixth.body as { message: string }).message).toContain(`at most ${LIMIT} a minute`);
    // Every /api route is refused now, whatever it is, with or without a token.
    expectTooMany(await call(server, 'GET', '/api/groups/chat_all_data', bearer));
    expectTooMany(await call(server, 'GET', '/API/groups/chat_all_data', bearer));
    expectTooMany(await call(server, 'POST', '/api/push/bob', {}, { event: 1 }));
    expect(await httpRefused(server)).toBe(4);
  });

  test('exactly at the limit nothing is refused; a path under /api with no route is not counted', async () => {
    const server = await start();
    for (let i = 0; i < LIMIT; i += 1) expect((await call(server, 'GET', '/api/no-such-route')).status).toBe(404);
    for (let i = 0; i < LIMIT; i += 1) {
      const answer = await call(server, 'GET', '/api/groups/chat_all_data', bearer);
      expect(answer).toMatchObject({ status: 200, retryAfter: null });
    }
    expect(await httpRefused(server)).toBe(0);
  });

  test('/health, static files, the handshake probe and WebSocket handshakes are not limited', async () => {
    const server = await start();
    for (let i = 0; i <= LIMIT; i += 1) await call(server, 'GET', '/api/groups/chat_all_data', bearer);
    for (let i = 0; i < 2 * LIMIT; i += 1) {
      expect(await call(server, 'GET', '/health')).toMatchObject({ status: 200, retryAfter: null });
    }
    expect((await call(server, 'GET', '/')).status).toBe(200);
    expect((await call(server, 'GET', '/client/index.js')).status).toBe(200);
    expect((await call(server, 'GET', `/socket/all?token=${admin}`)).status).toBe(426);
    expect((await call(server, 'GET', '/socket/all')).status).toBe(401);
    const client = await sockets.connect(server, '/socket/all', { token: admin });
    client.send({ type: 'all_patient_page_data' });
    expect(await client.nextJson()).toEqual({ type: 'all_patient_page_data', data: null });
    // ...while /api still refuses.
    expectTooMany(await call(server, 'GET', '/api/groups/chat_all_data', bearer));
  });

  test('without TRUST_PROXY, X-Forwarded-For is ignored: one address, one count', async () => {
    const server = await start();
    for (let i = 0; i < LIMIT; i += 1) {
      const from = { ...bearer, 'x-forwarded-for': `203.0.113.${i + 1}` };
      expect((await call(server, 'GET', '/api/groups/chat_all_data', from)).status).toBe(200);
    }
    expectTooMany(
      await call(server, 'GET', '/api/groups/chat_all_data', { ...bearer, 'x-forwarded-for': '198.51.100.9' }),
    );
  });

  test.each(['true', '1', 'loopback', '127.0.0.1'])(
    'TRUST_PROXY=%s: each X-Forwarded-For address has a count of its own',
    async (trust) => {
      const server = await start({ TRUST_PROXY: trust });
      const from = (ip: string): Record<string, string> => ({ ...bearer, 'x-forwarded-for': ip });
      for (let i = 0; i < LIMIT; i += 1) {
        expect((await call(server, 'GET', '/api/groups/chat_all_data', from('203.0.113.1'))).status).toBe(200);
      }
      expectTooMany(await call(server, 'GET', '/api/groups/chat_all_data', from('203.0.113.1')));
      expect((await call(server, 'GET', '/api/groups/chat_all_data', from('203.0.113.2'))).status).toBe(200);
      // The proxy itself (no header) is another client again.
      expect((await call(server, 'GET', '/api/groups/chat_all_data', bearer)).status).toBe(200);
    },
  );

  test('TRUST_PROXY=false trusts nobody', async () => {
    const server = await start({ TRUST_PROXY: 'false' });
    for (let i = 0; i < LIMIT; i += 1) {
      await call(server, 'GET', '/api/groups/chat_all_data', { ...bearer, 'x-forwarded-for': `203.0.113.${i + 1}` });
    }
    expectTooMany(
      await call(server, 'GET', '/api/groups/chat_all_data', { ...bearer, 'x-forwarded-for': '198.51.100.9' }),
    );
  });

  test('TRUST_PROXY parses to what Express takes', () => {
    expect(trustProxySetting('true')).toBe(true);
    expect(trustProxySetting('false')).toBe(false);
    expect(trustProxySetting('2')).toBe(2);
    expect(trustProxySetting('loopback, 10.0.0.0/8')).toBe('loopback, 10.0.0.0/8');
  });
});

describe('HTTP rate limit: the default', () => {
  let server: Instance;

  beforeAll(async () => {
    server = await Instance.start({ JWT_SECRET: TEST_SECRET });
  });

  afterAll(() => server?.stop());

  test('is 600 a minute: 600 requests pass, the 601st gets 429', async () => {
    expect(server.app.get(AppConfig).HTTP_RATE_PER_MIN).toBe(600);
    const statuses: number[] = [];
    // In batches of 20: quick, without opening 600 connections at once.
    for (let batch = 0; batch < 600 / 20; batch += 1) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => call(server, 'GET', '/api/groups/chat_all_data', bearer)),
      );
      statuses.push(...answers.map((a) => a.status));
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expectTooMany(await call(server, 'GET', '/api/groups/chat_all_data', bearer));
  }, 60_000);
});
