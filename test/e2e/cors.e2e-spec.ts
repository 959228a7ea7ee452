import { request, type IncomingHttpHeaders } from 'node:http';
import { once } from 'node:events';
import { Metrics } from '../../src/metrics/metrics.service';
import { Instance } from '../support/instance';
import { Sockets } from '../support/sockets';
import { signToken, TEST_SECRET } from '../support/tokens';
import { withTimeout } from '../support/wait';
import { refusal } from '../support/ws-client';

/**
 * CORS on the HTTP API for the same origins as the WebSocket handshake (ALLOWED_ORIGINS; unset: the
 * server's own origin and localhost; `*`: any): an allowed origin's preflight gets 204 and the
 * allow headers, any other origin's 403 without them; an actual response carries
 * `Access-Control-Allow-Origin` only for an allowed origin; preflights are not rate-limited.
 */
const admin = signToken({ sub: 'root', roles: ['admin'] });
const alice = signToken({ sub: 'alice' });

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** node:http, which sends `Origin` as given (a browser's fetch would not let us) and shows every header. */
async function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const req = request(url, { method, headers, agent: false });
  req.end(body);
  const [response] = (await withTimeout(once(req, 'response'), 5000, `${method} ${url}`)) as [
    import('node:http').IncomingMessage,
  ];
  let text = '';
  response.on('data', (chunk: Buffer) => (text += chunk.toString()));
  await withTimeout(once(response, 'end'), 5000, `the body of ${method} ${url}`);
  return { status: response.statusCode ?? 0, headers: response.headers, body: text };
}

function preflight(server: Instance, origin: string, path = '/api/push/bob'): Promise<Answer> {
  return send(server.http + path, 'OPTIONS', {
    origin,
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'authorization,content-type',
  });
}

const FORBIDDEN = { statusCode: 403, message: 'origin not allowed', error: 'Forbidden' };

function expectAllowedPreflight(answer: Answer, origin: string): void {
  expect(answer.status).toBe(204);
  expect(answer.body).toBe('');
  expect(answer.headers).toMatchObject({
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'GET,HEAD,POST',
    'access-control-allow-headers': 'Authorization,Content-Type',
    'access-control-max-age': '600',
    vary: 'Origin',
  });
  expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
}

function expectRefusedPreflight(answer: Answer): void {
  expect([answer.status, JSON.parse(answer.body)]).toEqual([403, FORBIDDEN]);
  for (const name of Object.keys(answer.headers)) expect(name).not.toMatch(/^access-control-/);
  expect(answer.headers.vary).toBe('Origin');
}

describe('CORS on the HTTP API', () => {
  const servers: Instance[] = [];
  const sockets = new Sockets();
  const start = async (env: Record<string, string> = {}): Promise<Instance> => {
    const server = await Instance.start({ JWT_SECRET: TEST_SECRET, ...env });
    servers.push(server);
    return server;
  };

  afterEach(async () => {
    await sockets.closeAll();
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  test('an allowed origin: preflight 204 with the allow headers; the POST it preflights is readable', async () => {
    const server = await start();
    expectAllowedPreflight(await preflight(server, 'http://localhost:5173'), 'http://localhost:5173');

    const post = await send(
      `${server.http}/api/push/bob`,
      'POST',
      { origin: 'http://localhost:5173', authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      JSON.stringify({ event: 'hi' }),
    );
    expect([post.status, JSON.parse(post.body)]).toEqual([202, { username: 'bob', id: expect.any(Number) }]);
    expect(post.headers).toMatchObject({
      'access-control-allow-origin': 'http://localhost:5173',
      'access-control-expose-headers': 'Retry-After',
      vary: 'Origin',
    });
    expect(post.headers['access-control-allow-credentials']).toBeUndefined();
    // helmet's CORP header stays: it governs no-cors loads (<img>, <script>), not a CORS fetch.
    expect(post.headers['cross-origin-resource-policy']).toBe('same-origin');
  });

  test('another origin: preflight 403 without any Access-Control header; a simple GET answered without ACAO', async () => {
    const server = await start();
    expectRefusedPreflight(await preflight(server, 'https://evil.example'));
    // Not the router's 404 either, on a path no route has.
    expectRefusedPreflight(await preflight(server, 'https://evil.example', '/api/nothing-here'));

    const get = await send(`${server.http}/api/groups/chat_all_data`, 'GET', {
      origin: 'https://evil.example',
      authorization: `Bearer ${alice}`,
    });
    // Answered (a bearer token, not a cookie, authenticates: a foreign page cannot borrow it), but
    // a browser does not let the foreign page read it.
    expect([get.status, JSON.parse(get.body)]).toEqual([200, { group: 'chat_all_data', connections: 0 }]);
    for (const name of Object.keys(get.headers)) expect(name).not.toMatch(/^access-control-/);
    expect(get.headers.vary).toBe('Origin');
  });

  test('no Origin (curl, servers): no CORS header, a plain OPTIONS still finds no route', async () => {
    const server = await start();
    const get = await send(`${server.http}/health`, 'GET', {});
    expect(get.status).toBe(200);
    for (const name of Object.keys(get.headers)) expect(name).not.toMatch(/^access-control-/);
    expect((await send(`${server.http}/api/push/bob`, 'OPTIONS', {})).status).toBe(404);
  });

  test('ALLOWED_ORIGINS=* allows any origin that is one; ALLOWED_ORIGINS=<list> only the list and the own origin', async () => {
    const any = await start({ ALLOWED_ORIGINS: '*' });
    expectAllowedPreflight(await preflight(any, 'https://evil.example'), 'https://evil.example');
    expectRefusedPreflight(await preflight(any, 'null'));

    const listed = await start({ ALLOWED_ORIGINS: 'https://app.example' });
    expectAllowedPreflight(await preflight(listed, 'https://app.example'), 'https://app.example');
    expectAllowedPreflight(await preflight(listed, listed.http), listed.http);
    expectRefusedPreflight(await preflight(listed, 'http://localhost:5173'));
  });

  /** Origins and, per ALLOWED_ORIGINS, whether they are allowed. `own` is the server's own origin. */
  const TABLE: Array<[origin: string, unset: boolean, listed: boolean, any: boolean]> = [
    ['own', true, true, true],
    ['http://localhost:5173', true, false, true],
    ['http://localhost', true, false, true],
    ['http://127.0.0.1:9', true, false, true],
    ['http://[::1]:8080', true, false, true],
    ['https://app.example', false, true, true],
    ['https://app.example:8443', false, false, true],
    ['http://app.example', false, false, true],
    ['https://evil.example', false, false, true],
    ['http://localhost.evil.example', false, false, true],
    ['null', false, false, false],
    ['not a url', false, false, false],
  ];

  test.each([
    ['unset', {}, 1],
    ['https://app.example', { ALLOWED_ORIGINS: 'https://app.example' }, 2],
    ['*', { ALLOWED_ORIGINS: '*' }, 3],
  ] as const)(
    'ALLOWED_ORIGINS=%s: the preflight and the WebSocket handshake decide every origin alike',
    async (_name, env, column) => {
      const server = await start(env);
      const decisions: string[] = [];
      const expected: string[] = [];
      for (const row of TABLE) {
        const origin = row[0] === 'own' ? server.http : row[0];
        const answer = await preflight(server, origin);
        const http = answer.status === 204 && answer.headers['access-control-allow-origin'] === origin;
        if (!http) expectRefusedPreflight(answer);
        let ws: boolean;
        try {
          await sockets.connect(server, '/socket/all', { token: alice, origin });
          ws = true;
        } catch (error) {
          expect(String(error)).toMatch(/refused with 403/);
          ws = false;
        }
        decisions.push(`${origin}: http ${http}, ws ${ws}`);
        expected.push(`${origin}: http ${row[column]}, ws ${row[column]}`);
      }
      expect(decisions).toEqual(expected);
    },
  );

  test('a refused handshake and its preflight give the same 403 for the same origin', async () => {
    const server = await start();
    const ws = await refusal(`${server.ws}/socket/all`, { token: alice, origin: 'https://evil.example' });
    expect(ws.status).toBe(403);
    expect((await preflight(server, 'https://evil.example')).status).toBe(403);
  });

  test('preflights are neither counted nor refused by the rate limit (HTTP_RATE_PER_MIN=1); a 429 is readable', async () => {
    const server = await start({ HTTP_RATE_PER_MIN: '1' });
    for (let n = 0; n < 5; n += 1) {
      expectAllowedPreflight(await preflight(server, 'http://localhost:5173'), 'http://localhost:5173');
      expectRefusedPreflight(await preflight(server, 'https://evil.example'));
    }
    const call = (): Promise<Answer> =>
      send(`${server.http}/api/groups/chat_all_data`, 'GET', {
        origin: 'http://localhost:5173',
        authorization: `Bearer ${alice}`,
      });
    const first = await call();
    expect(first.status).toBe(200);
    const second = await call();
    expect(second.status).toBe(429);
    // The page that must wait can read the 429 and its Retry-After.
    expect(second.headers).toMatchObject({
      'access-control-allow-origin': 'http://localhost:5173',
      'access-control-expose-headers': 'Retry-After',
      'retry-after': expect.stringMatching(/^[1-9][0-9]*$/) as string,
    });
    const refused = (await server.app.get(Metrics).rateLimited.get()).values.find((v) => v.labels.limit === 'http');
    expect(refused?.value).toBe(1);
  });
});
