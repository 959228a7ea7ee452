import 'reflect-metadata';
import fc from 'fast-check';
import { expectErrorBody, messageText } from '../support/expectations';
import type { TestClient } from '../support/ws-client';
import {
  badSub,
  depthOf,
  forgedToken,
  FORGERIES,
  FUZZ,
  GROUP,
  Harness,
  hostileJson,
  hostileName,
  MAX_DEPTH,
  nestedAround,
  TOO_DEEP,
  TOPICS,
  USER_ID,
} from './hostile';

/**
 * Hostile HTTP input, property-based, against an instance on a real redis-server: random and
 * deeply nested JSON bodies with `__proto__`/`constructor` keys and huge strings, hostile names in
 * every path parameter and in dev-login, forged tokens on every route. Each input must get the
 * contract's answer, and leave the server up, the bystanders talking, and Redis clean.
 */
const BODY_LIMIT = 100 * 1024;
const PUSHED = 'fuzzbob';
const TOPIC = 'all_patient_page_data';

type Route = 'login' | 'push' | 'notify';
const FIELDS: Record<Route, string[]> = { login: ['username', 'roles'], push: ['event'], notify: ['data'] };
const PATHS: Record<Route, string> = {
  login: '/api/auth/dev-login',
  push: `/api/push/${PUSHED}`,
  notify: `/api/notify/${TOPIC}`,
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The contract's answer to `text` POSTed to `route` (with an admin token where one is needed). */
function expectedStatus(route: Route, text: string): number {
  if (Buffer.byteLength(text) > BODY_LIMIT) return 413;
  const body = JSON.parse(text) as unknown;
  if (depthOf(body) > MAX_DEPTH || !isObject(body)) return 400;
  if (Object.keys(body).some((key) => !FIELDS[route].includes(key))) return 400;
  if (route === 'push') return body.event === undefined || body.event === null ? 400 : 202;
  if (route === 'notify')
    return typeof body.data === 'string' || isObject(body.data) || Array.isArray(body.data) ? 202 : 400;
  const { username, roles } = body;
  const rolesOk =
    roles === undefined || (Array.isArray(roles) && roles.length <= 8 && roles.every((r) => typeof r === 'string'));
  return typeof username === 'string' && USER_ID.test(username) && rolesOk ? 200 : 400;
}

/** A field's value: hostile JSON, a hostile name, nesting around the limit, now and then a huge string. */
const fieldValue = fc.oneof(
  { arbitrary: hostileJson, weight: 4 },
  { arbitrary: hostileName.map((name) => JSON.stringify(name)), weight: 3 },
  {
    arbitrary: fc
      .array(
        hostileName.map((n) => JSON.stringify(n)),
        { maxLength: 9 },
      )
      .map((n) => `[${n.join(',')}]`),
    weight: 2,
  },
  { arbitrary: nestedAround, weight: 2 },
  {
    arbitrary: fc.integer({ min: BODY_LIMIT - 64, max: BODY_LIMIT + 64 }).map((n) => JSON.stringify('x'.repeat(n))),
    weight: 1,
  },
);

/** Bodies: the route's own fields (and dangerous or unknown ones) with hostile values, or any JSON. */
const bodyFor = (route: Route): fc.Arbitrary<string> =>
  fc.oneof(
    fc
      .array(fc.tuple(fc.constantFrom(...FIELDS[route], '__proto__', 'constructor', 'extra'), fieldValue), {
        maxLength: 3,
      })
      .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
    hostileJson,
    nestedAround,
  );

/** A valid body for the route, so that only the token decides. */
function bodyOf(method: string, path: string): string | undefined {
  if (method !== 'POST') return undefined;
  return path.includes('login') ? '{"username":"x"}' : path.includes('push') ? '{"event":1}' : '{"data":"x"}';
}

describe('hostile HTTP input (property-based)', () => {
  let h: Harness;
  let admin: string;
  let user: string;
  let pushWatcher: TestClient;
  let allWatcher: TestClient;

  beforeAll(async () => {
    h = await Harness.start();
    admin = await h.server.login('fuzzadmin', ['admin']);
    user = await h.server.login('fuzzuser');
    pushWatcher = await h.sockets.as(h.server, PUSHED, `/push/${PUSHED}`);
    allWatcher = await h.sockets.as(h.server, 'fuzzwatcher', '/socket/all');
  });

  afterAll(async () => {
    await h?.stop();
  });

  async function post(path: string, text: string, token?: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(h.server.http + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: text,
      signal: AbortSignal.timeout(10_000),
    });
    const raw = await response.text();
    return { status: response.status, body: raw ? (JSON.parse(raw) as unknown) : undefined };
  }

  test(`random, deep and huge JSON bodies on dev-login, push and notify (seed ${FUZZ.seed})`, async () => {
    const input = fc
      .constantFrom<Route>('login', 'push', 'notify')
      .chain((route) => fc.tuple(fc.constant(route), bodyFor(route)));
    await fc.assert(
      fc.asyncProperty(input, async ([route, text]) => {
        const expected = expectedStatus(route, text);
        const response = await post(PATHS[route], text, route === 'login' ? undefined : admin);
        expect({ route, text: text.slice(0, 300), status: response.status }).toEqual({
          route,
          text: text.slice(0, 300),
          status: expected,
        });
        if (expected >= 400) expectErrorBody(response.body, expected);
        if (expected === 400 && depthOf(JSON.parse(text)) > MAX_DEPTH)
          expect(messageText(response.body)).toMatch(TOO_DEEP);
        const body = JSON.parse(text) as Record<string, unknown>;
        const id = (response.body as { id?: number } | undefined)?.id;
        // Free JSON is delivered exactly as sent; a refused body reaches nobody.
        if (expected === 202 && route === 'push')
          expect(await pushWatcher.next()).toBe(`{"event":${JSON.stringify(body.event)},"id":${id}}`);
        if (expected === 202 && route === 'notify') {
          expect(await allWatcher.next()).toBe(`{"type":"${TOPIC}","data":${JSON.stringify(body.data)},"id":${id}}`);
        }
        await pushWatcher.expectNothingPending();
        await allWatcher.expectNothingPending();
        await h.checkInvariants();
      }),
      FUZZ,
    );
  });

  test(`hostile names in path parameters and user ids (seed ${FUZZ.seed})`, async () => {
    type Kind = 'group' | 'push' | 'notify-get' | 'notify-post' | 'login';
    const names = fc.oneof(hostileName, fc.constantFrom(...TOPICS, 'chat_all_data', 'room.x', 'push.bob', 'a:b', '*'));
    const input = fc.tuple(fc.constantFrom<Kind>('group', 'push', 'notify-get', 'notify-post', 'login'), names);
    await fc.assert(
      fc.asyncProperty(input, async ([kind, name]) => {
        const path = encodeURIComponent(name);
        let status: number;
        let expected: number;
        if (kind === 'group') {
          const response = await h.server.request('GET', `/api/groups/${path}`, { token: user });
          [status, expected] = [response.status, GROUP.test(name) ? 200 : 400];
          if (status === 200) expect(response.body).toEqual({ group: name, connections: expect.any(Number) });
        } else if (kind === 'push') {
          [status, expected] = [
            (await post(`/api/push/${path}`, '{"event":1}', admin)).status,
            USER_ID.test(name) ? 202 : 400,
          ];
        } else if (kind === 'notify-get') {
          const response = await h.server.request('GET', `/api/notify/${path}`, { token: admin });
          [status, expected] = [response.status, TOPICS.includes(name) ? 200 : 404];
        } else if (kind === 'notify-post') {
          [status, expected] = [
            (await post(`/api/notify/${path}`, '{"data":"x"}', admin)).status,
            TOPICS.includes(name) ? 202 : 404,
          ];
          if (status === 202) await allWatcher.next();
        } else {
          const response = await post('/api/auth/dev-login', JSON.stringify({ username: name }));
          [status, expected] = [response.status, USER_ID.test(name) ? 200 : 400];
        }
        expect({ kind, name, status }).toEqual({ kind, name, status: expected });
        await h.checkInvariants();
      }),
      FUZZ,
    );
  });

  test(`forged tokens on every route, in every place a token goes (seed ${FUZZ.seed})`, async () => {
    const routes = [
      ['GET', '/api/groups/chat_all_data', 401],
      ['POST', `/api/push/${PUSHED}`, 401],
      ['POST', `/api/notify/${TOPIC}`, 401],
      ['GET', `/api/notify/${TOPIC}`, 401],
      ['GET', '/socket/all', 401],
      ['GET', '/ws/room/lobby', 401],
      ['POST', '/api/auth/dev-login', 200],
      ['GET', '/health', 200],
    ] as const;
    const input = fc.tuple(
      fc.constantFrom(...routes),
      fc.constantFrom(...FORGERIES, 'huge' as const),
      fc.constantFrom('header', 'bearer', 'query'),
      badSub,
    );
    await fc.assert(
      fc.asyncProperty(input, async ([[method, path, expected], kind, via, sub]) => {
        const token = kind === 'huge' ? 'h'.repeat(100 * 1024) : forgedToken(kind, 'fuzzadmin', sub);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (via === 'header') headers.token = token;
        if (via === 'bearer') headers.authorization = `Bearer ${token}`;
        const url = `${h.server.http}${path}${via === 'query' ? `?token=${encodeURIComponent(token)}` : ''}`;
        const response = await fetch(url, {
          method,
          headers,
          body: bodyOf(method, path),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        const status = kind === 'huge' ? 431 : expected;
        expect({ path, kind, via, status: response.status }).toEqual({ path, kind, via, status });
        if (status !== 200) expectErrorBody(JSON.parse(text), status);
        await pushWatcher.expectNothingPending();
        await allWatcher.expectNothingPending();
        await h.checkInvariants();
      }),
      FUZZ,
    );
  });

  test('the deep-body generator reaches both sides of the limit', () => {
    const depths = fc.sample(nestedAround, { seed: FUZZ.seed, numRuns: 200 }).map((text) => depthOf(JSON.parse(text)));
    expect(depths.some((d) => d <= MAX_DEPTH)).toBe(true);
    expect(depths.some((d) => d > MAX_DEPTH)).toBe(true);
  });
});
