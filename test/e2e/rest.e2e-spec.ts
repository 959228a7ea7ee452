import 'reflect-metadata';
import { loadConfig } from '../../src/config/app-config';
import { expectErrorBody, groupCount, PATIENTS, VISITS } from '../support/expectations';
import { Instance } from '../support/instance';
import { Sockets } from '../support/sockets';
import { epochSeconds, OTHER_SECRET, signToken, TEST_SECRET, unsignedToken } from '../support/tokens';
import { waitFor } from '../support/wait';

/** The HTTP API (CONTRACT.md, HTTP API and Identity) and the production start-up rules. */
const STRONG_SECRET = 'p'.repeat(40);
const BAD_TOKEN = signToken({ sub: 'root', roles: ['admin'] }, OTHER_SECRET);

describe('HTTP API', () => {
  let server: Instance;
  let admin: string;
  let user: string;
  const sockets = new Sockets();

  beforeAll(async () => {
    server = await Instance.start({ JWT_SECRET: TEST_SECRET });
    admin = await server.login('root', ['admin']);
    user = await server.login('alice');
  });

  afterEach(() => sockets.closeAll());

  afterAll(async () => {
    await server?.stop();
  });

  // First, while no other test of this file has a socket in chat_all_data.
  describe('GET /api/groups/:group', () => {
    test('counts the sockets of each kind of group, and forgets closed ones', async () => {
      expect(await groupCount(server, user, 'chat_all_data')).toBe(0);
      await sockets.as(server, 'g1', '/socket/all');
      await sockets.as(server, 'g2', '/socket/all');
      await sockets.as(server, 'gus', '/push/gus');
      const room = await sockets.as(server, 'g1', '/ws/room/counted');
      await sockets.as(server, 'g2', '/ws/room/counted');
      await sockets.as(server, 'g3', '/ws/room/counted');
      await sockets.as(server, 'g1', '/ws/chat/g1_g2');
      expect(await groupCount(server, user, 'chat_all_data')).toBe(2);
      expect(await groupCount(server, user, 'push.gus')).toBe(1);
      expect(await groupCount(server, user, 'room.counted')).toBe(3);
      expect(await groupCount(server, user, 'chat.g1_g2')).toBe(1);
      expect(await groupCount(server, user, 'room.empty')).toBe(0);
      await room.close();
      await waitFor(async () => (await groupCount(server, user, 'room.counted')) === 2, {
        timeoutMs: 3000,
        what: 'room.counted to count 2',
      });
    });

    test('401 without a token or with a bad one, 400 for a malformed group', async () => {
      expectErrorBody((await server.request('GET', '/api/groups/chat_all_data')).body, 401);
      const bad = await server.request('GET', '/api/groups/chat_all_data', { token: BAD_TOKEN });
      expect(bad.status).toBe(401);
      const malformed = await server.request('GET', '/api/groups/bad:name', { token: user });
      expect(malformed.status).toBe(400);
      expectErrorBody(malformed.body, 400, 'group');
    });
  });

  describe('POST /api/notify/:topic', () => {
    test('401 without a token, 401 with a bad token, 403 without the admin role', async () => {
      const body = { data: 'x' };
      const none = await server.request('POST', `/api/notify/${PATIENTS}`, { body });
      expect(none.status).toBe(401);
      expectErrorBody(none.body, 401);
      const bad = await server.request('POST', `/api/notify/${PATIENTS}`, { body, token: BAD_TOKEN });
      expect(bad.status).toBe(401);
      expectErrorBody(bad.body, 401);
      const notAdmin = await server.request('POST', `/api/notify/${PATIENTS}`, { body, token: user });
      expect(notAdmin.status).toBe(403);
      expectErrorBody(notAdmin.body, 403);
    });

    test.each([
      ['expired', () => signToken({ sub: 'root', roles: ['admin'], exp: epochSeconds(-60) })],
      ['alg none', () => unsignedToken({ sub: 'root', roles: ['admin'] })],
      ['with an invalid sub', () => signToken({ sub: 'ro ot', roles: ['admin'] })],
    ])('401 for an admin token that is %s', async (_label, make) => {
      const response = await server.request('POST', `/api/notify/${PATIENTS}`, { body: { data: 'x' }, token: make() });
      expect(response.status).toBe(401);
      expectErrorBody(response.body, 401);
      // Control: the same claims, validly signed, pass.
      const valid = signToken({ sub: 'root', roles: ['admin'] });
      expect((await server.request('GET', `/api/notify/${PATIENTS}`, { token: valid })).status).toBe(200);
    });

    test('404 for an unknown topic', async () => {
      const response = await server.request('POST', '/api/notify/nope', { token: admin, body: { data: 'x' } });
      expect(response.status).toBe(404);
      expectErrorBody(response.body, 404, 'nope');
    });

    test.each(['__proto__', 'constructor', 't'.repeat(101)])('404 for the unknown topic %s', async (topic) => {
      const response = await server.request('POST', `/api/notify/${topic}`, { token: admin, body: { data: 'x' } });
      expect(response.status).toBe(404);
      expectErrorBody(response.body, 404);
    });

    test.each([
      ['null', { data: null }],
      ['a number', { data: 5 }],
      ['a boolean', { data: true }],
      ['missing', {}],
    ])('400 naming data when data is %s, and nothing is broadcast', async (_label, body) => {
      const watcher = await sockets.as(server, 'watcher', '/socket/all');
      const response = await server.request('POST', `/api/notify/${PATIENTS}`, { token: admin, body });
      expect(response.status).toBe(400);
      expectErrorBody(response.body, 400, 'data');
      await watcher.expectNothingPending();
    });

    test('202 {topic, id} for a string, an array and an object, broadcast in order', async () => {
      const watcher = await sockets.as(server, 'watcher', '/socket/all');
      const payloads = ['seed text', [{ bed: 1 }, { bed: 2 }], { total: 2, rows: [] }];
      const ids: number[] = [];
      for (const data of payloads) {
        const response = await server.request('POST', `/api/notify/${PATIENTS}`, { token: admin, body: { data } });
        expect(response).toEqual({ status: 202, body: { topic: PATIENTS, id: expect.any(Number) } });
        ids.push((response.body as { id: number }).id);
      }
      expect(ids[1]).toBeGreaterThan(ids[0] ?? Infinity);
      expect(ids[2]).toBeGreaterThan(ids[1] ?? Infinity);
      expect(await watcher.take(3)).toEqual(payloads.map((data, i) => ({ type: PATIENTS, data, id: ids[i] })));
      await watcher.expectNothingPending();
    });
  });

  describe('GET /api/notify/:topic', () => {
    test('401, 403 and 404 as for POST', async () => {
      expect((await server.request('GET', `/api/notify/${VISITS}`)).status).toBe(401);
      expect((await server.request('GET', `/api/notify/${VISITS}`, { token: BAD_TOKEN })).status).toBe(401);
      const notAdmin = await server.request('GET', `/api/notify/${VISITS}`, { token: user });
      expect(notAdmin.status).toBe(403);
      expectErrorBody(notAdmin.body, 403);
      const unknown = await server.request('GET', '/api/notify/nope', { token: admin });
      expect(unknown.status).toBe(404);
      expectErrorBody(unknown.body, 404);
    });

    test('null data before any notify, then the last data sent', async () => {
      const read = (): Promise<unknown> => server.request('GET', `/api/notify/${VISITS}`, { token: admin });
      expect(await read()).toEqual({ status: 200, body: { type: VISITS, data: null } });
      await server.request('POST', `/api/notify/${VISITS}`, { token: admin, body: { data: ['v1'] } });
      await server.request('POST', `/api/notify/${VISITS}`, { token: admin, body: { data: { v: 2 } } });
      expect(await read()).toEqual({ status: 200, body: { type: VISITS, data: { v: 2 } } });
      // A refused notify leaves the snapshot alone.
      await server.request('POST', `/api/notify/${VISITS}`, { token: admin, body: { data: null } });
      expect(await read()).toEqual({ status: 200, body: { type: VISITS, data: { v: 2 } } });
    });
  });

  describe('POST /api/push/:username', () => {
    test('401 without a token or with a bad one, 403 without the admin role', async () => {
      const body = { event: 'x' };
      expectErrorBody((await server.request('POST', '/api/push/alice', { body })).body, 401);
      expectErrorBody((await server.request('POST', '/api/push/alice', { body, token: BAD_TOKEN })).body, 401);
      expectErrorBody((await server.request('POST', '/api/push/alice', { body, token: user })).body, 403);
    });

    test.each([
      ['missing', {}],
      ['null', { event: null }],
    ])('400 naming event when event is %s, and nothing is pushed', async (_label, body) => {
      const tab = await sockets.as(server, 'pat', '/push/pat');
      const response = await server.request('POST', '/api/push/pat', { token: admin, body });
      expect(response.status).toBe(400);
      expectErrorBody(response.body, 400, 'event');
      await tab.expectNothingPending();
    });

    test.each(['bad.name', 'a%20b', 'u'.repeat(65)])('400 for the invalid username %s', async (username) => {
      const response = await server.request('POST', `/api/push/${username}`, { token: admin, body: { event: 'x' } });
      expect(response.status).toBe(400);
      expectErrorBody(response.body, 400, 'username');
    });

    test('202 {username, id}, and every tab of the user gets {event, id}', async () => {
      const tabs = [await sockets.as(server, 'pat', '/push/pat'), await sockets.as(server, 'pat', '/push/pat')];
      let last = -Infinity;
      for (const event of [{ kind: 'visit', bed: 3 }, 'text', 0, false, [1, 2]]) {
        const response = await server.request('POST', '/api/push/pat', { token: admin, body: { event } });
        expect(response).toEqual({ status: 202, body: { username: 'pat', id: expect.any(Number) } });
        const { id } = response.body as { id: number };
        expect(id).toBeGreaterThan(last);
        last = id;
        for (const tab of tabs) expect(await tab.nextJson()).toEqual({ event, id });
      }
      for (const tab of tabs) await tab.expectNothingPending();
    });
  });

  test('GET /health', async () => {
    expect(await server.request('GET', '/health')).toEqual({ status: 200, body: { status: 'ok', layer: 'memory' } });
  });

  describe('POST /api/auth/dev-login', () => {
    test('200 {token}, and the token opens the user’s own sockets', async () => {
      const response = await server.request('POST', '/api/auth/dev-login', { body: { username: 'dora' } });
      expect(response).toEqual({ status: 200, body: { token: expect.any(String) } });
      const { token } = response.body as { token: string };
      const push = await sockets.connect(server, '/push/dora', { token });
      await push.expectNothingPending();
      // No admin role asked for, none given.
      expect((await server.request('GET', `/api/notify/${VISITS}`, { token })).status).toBe(403);
    });

    test.each([
      ['an empty username', ''],
      ['a space', 'bad name'],
      ['a dot', 'a.b'],
      ['65 characters', 'u'.repeat(65)],
    ])('400 naming username for %s', async (_label, username) => {
      const response = await server.request('POST', '/api/auth/dev-login', { body: { username } });
      expect(response.status).toBe(400);
      expectErrorBody(response.body, 400, 'username');
    });

    test('400 naming username when it is missing', async () => {
      const response = await server.request('POST', '/api/auth/dev-login', { body: {} });
      expectErrorBody(response.body, 400, 'username');
    });
  });
});

describe('configuration', () => {
  test.each([
    ['without JWT_SECRET', { NODE_ENV: 'production' }, /JWT_SECRET/],
    ['with a 10-character JWT_SECRET', { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(10) }, /JWT_SECRET/],
    [
      'with AUTH_DEV_LOGIN=true',
      { NODE_ENV: 'production', JWT_SECRET: STRONG_SECRET, AUTH_DEV_LOGIN: 'true' },
      /AUTH_DEV_LOGIN/,
    ],

    ['with an empty JWT_SECRET', { NODE_ENV: 'production', JWT_SECRET: '' }, /JWT_SECRET/],
  ])('production refuses to start %s', (_label, env, problem) => {
    expect(() => loadConfig(env)).toThrow(problem);
  });

  test('production with a 40-character secret starts, without dev-login', () => {
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: STRONG_SECRET });
    expect(config.devLoginEnabled).toBe(false);
    expect(loadConfig({ NODE_ENV: 'test' }).devLoginEnabled).toBe(true);
  });

  describe('a production instance', () => {
    let production: Instance;
    const sockets = new Sockets();

    beforeAll(async () => {
      production = await Instance.start({ NODE_ENV: 'production', JWT_SECRET: STRONG_SECRET });
    });

    afterEach(() => sockets.closeAll());

    afterAll(async () => {
      await production?.stop();
    });

    test('has no dev-login route, and takes tokens signed with its secret', async () => {
      const response = await production.request('POST', '/api/auth/dev-login', { body: { username: 'alice' } });
      expect(response.status).toBe(404);
      const admin = signToken({ sub: 'root', roles: ['admin'] }, STRONG_SECRET);
      const posted = await production.request('POST', `/api/notify/${PATIENTS}`, { token: admin, body: { data: 'p' } });
      expect(posted.status).toBe(202);
      const client = await sockets.connect(production, '/push/alice', {
        token: signToken({ sub: 'alice' }, STRONG_SECRET),
      });
      await client.expectNothingPending();
      const foreign = signToken({ sub: 'root', roles: ['admin'] }, OTHER_SECRET);
      const refused = await production.request('POST', `/api/notify/${PATIENTS}`, {
        token: foreign,
        body: { data: 'p' },
      });
      expect(refused.status).toBe(401);
    });
  });
});
