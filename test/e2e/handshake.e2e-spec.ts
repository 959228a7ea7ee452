import { expectRefused, groupCount } from '../support/expectations';
import { Instance } from '../support/instance';
import { Sockets } from '../support/sockets';
import { epochSeconds, OTHER_SECRET, signToken, TEST_SECRET, unsignedToken } from '../support/tokens';

/**
 * Handshakes (CONTRACT.md, Identity): every refusal happens before the upgrade with the exact HTTP
 * status and Nest's error body; accepted handshakes find the token in all three places and put
 * chat names in canonical order.
 */
const TS = expect.any(Number) as unknown;
const ENDPOINTS = ['/socket/all', '/ws/chat/alice_bob', '/push/alice', '/ws/room/lobby', '/chat/socket/'];

describe('WebSocket handshake', () => {
  let server: Instance;
  let restricted: Instance;
  let alice: string;
  const sockets = new Sockets();

  beforeAll(async () => {
    server = await Instance.start({ JWT_SECRET: TEST_SECRET });
    restricted = await Instance.start({ JWT_SECRET: TEST_SECRET, ALLOWED_ORIGINS: 'https://app.example' });
    alice = await server.login('alice');
  });

  afterEach(() => sockets.closeAll());

  afterAll(async () => {
    await server?.stop();
    await restricted?.stop();
  });

  const url = (path: string, on: Instance = server): string => on.ws + path;

  describe('401 without a valid token', () => {
    test.each(ENDPOINTS)('no token on %s', async (path) => {
      await expectRefused(url(path), {}, 401);
    });

    const invalid: Array<[string, () => string]> = [
      ['signed with another secret', () => signToken({ sub: 'alice' }, OTHER_SECRET)],
      ['expired', () => signToken({ sub: 'alice', exp: epochSeconds(-60) })],
      ['not valid yet (nbf)', () => signToken({ sub: 'alice', nbf: epochSeconds(600) })],
      ['HS512 with the right secret', () => signToken({ sub: 'alice' }, TEST_SECRET, 'HS512')],
      ['alg none', () => unsignedToken({ sub: 'alice', exp: epochSeconds(600) })],
      ['sub not a valid user id', () => signToken({ sub: 'not a user!' })],
      ['sub too long', () => signToken({ sub: 'a'.repeat(65) })],
      ['sub missing', () => signToken({ roles: ['admin'] })],
      ['not a JWT at all', () => 'garbage'],
    ];
    test.each(invalid)('token %s, in every place a token may be', async (_name, make) => {
      for (const via of ['query', 'header', 'bearer'] as const) {
        await expectRefused(url('/push/alice'), { token: make(), via }, 401);
      }
    });

    test('control: a token the test signs with the server secret is accepted', async () => {
      const client = await sockets.connect(server, '/push/alice', {
        token: signToken({ sub: 'alice', exp: epochSeconds(60) }),
      });
      await client.expectNothingPending();
    });
  });

  describe('403 for a path the user may not open', () => {
    test("another user's /push/:username", async () => {
      await expectRefused(url('/push/bob'), { token: alice }, 403);
    });

    test('a chat that does not include the user', async () => {
      await expectRefused(url('/ws/chat/bob_carol'), { token: alice }, 403);
    });

    test('nothing is allocated for refused handshakes', async () => {
      await expectRefused(url('/push/bob'), { token: alice }, 403);
      await expectRefused(url('/socket/all'), {}, 401);
      await expectRefused(url('/socket/all'), { token: alice, origin: 'https://evil.example' }, 403);
      expect(await groupCount(server, alice, 'push.bob')).toBe(0);
      expect(await groupCount(server, alice, 'chat_all_data')).toBe(0);
    });
  });

  describe('Origin', () => {
    test('a foreign origin is refused with 403, even with a valid token', async () => {
      await expectRefused(url('/socket/all'), { token: alice, origin: 'https://evil.example' }, 403);
      await expectRefused(url('/push/alice'), { token: alice, origin: 'http://localhost.evil.example' }, 403);
    });

    test.each([
      ['a localhost origin', 'http://localhost:5173'],
      ['no origin', undefined],
    ])('by default %s is accepted', async (_name, origin) => {
      const client = await sockets.connect(server, '/socket/all', { token: alice, origin });
      await client.expectNothingPending();
    });

    test('with ALLOWED_ORIGINS the listed origin is accepted and localhost is not', async () => {
      const token = await restricted.login('alice');
      const client = await sockets.connect(restricted, '/socket/all', { token, origin: 'https://app.example' });
      await client.expectNothingPending();
      await expectRefused(url('/socket/all', restricted), { token, origin: 'http://localhost:5173' }, 403);
      await expectRefused(url('/socket/all', restricted), { token, origin: 'https://evil.example' }, 403);
    });
  });

  describe('400 for a malformed name', () => {
    test.each([
      '/ws/chat/alice',
      '/ws/chat/a_b_c',
      '/ws/chat/alice_alice',
      '/ws/chat/alice_',
      `/ws/chat/alice_${'b'.repeat(65)}`,
      `/ws/chat/${'b'.repeat(65)}_alice`,
      '/ws/chat/alice_b%C3%B6b',
      '/ws/room/bad.name',
      `/ws/room/${'r'.repeat(65)}`,
      '/ws/room/%E0%A4%A',
      '/push/bad.name',
      `/push/${'u'.repeat(65)}`,
    ])('%s', async (path) => {
      await expectRefused(url(path), { token: alice }, 400);
    });

    test('a 64-character room and user are fine (the bound is inclusive)', async () => {
      const long = 'u'.repeat(64);
      const room = await sockets.as(server, 'alice', `/ws/room/${'r'.repeat(64)}`);
      const push = await sockets.as(server, long, `/push/${long}`);
      await room.expectNothingPending();
      await push.expectNothingPending();
    });
  });

  test.each(['/', '/nope', '/socket', '/socket/all/x', '/ws/chat', '/ws/chat/alice_bob/x', '/push', '/ws/room'])(
    '404 for the unknown path %s',
    async (path) => {
      await expectRefused(url(path), { token: alice }, 404);
    },
  );

  test.each(['query', 'header', 'bearer'] as const)('the token is accepted from the %s', async (via) => {
    // Only alice may open /push/alice: opening it proves the token was read, not just tolerated.
    const client = await sockets.connect(server, '/push/alice', { token: alice, via });
    await client.expectNothingPending();
    const admin = await server.login('root', ['admin']);
    const pushed = await server.request('POST', '/api/push/alice', { token: admin, body: { event: via } });
    expect(await client.nextJson()).toEqual({ event: via, id: (pushed.body as { id: number }).id });
  });

  describe('chat names are canonical', () => {
    test('/ws/chat/bob_alice opened by alice is the chat alice_bob', async () => {
      const fromAlice = await sockets.as(server, 'alice', '/ws/chat/bob_alice');
      const fromBob = await sockets.as(server, 'bob', '/ws/chat/alice_bob');
      fromAlice.send({ message: 'hi', to_user: 'bob' });
      const frames = await fromAlice.take(2);
      const ack = frames.find((f) => f.type === 'ack') as { id: number };
      const message = { message: 'hi', from: 'alice', group: 'alice_bob', id: ack.id, ts: TS };
      expect(frames).toEqual(expect.arrayContaining([{ type: 'ack', id: ack.id }, message]));
      expect(await fromBob.nextJson()).toEqual(message);
      expect(await groupCount(server, alice, 'chat.alice_bob')).toBe(2);
      expect(await groupCount(server, alice, 'chat.bob_alice')).toBe(0);
    });

    test('decimal ids are in numeric order: 10 and 9 are 9_10, from either spelling', async () => {
      const ten = await sockets.as(server, '10', '/ws/chat/10_9');
      const nine = await sockets.as(server, '9', '/ws/chat/9_10');
      ten.send({ message: 'from ten' });
      expect(await nine.nextJson()).toEqual({
        message: 'from ten',
        from: '10',
        group: '9_10',
        id: expect.any(Number),
        ts: TS,
      });
      nine.send({ message: 'from nine' });
      expect(await ten.take(3)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ message: 'from ten', group: '9_10' }),
          expect.objectContaining({ type: 'ack' }),
          expect.objectContaining({ message: 'from nine', from: '9', group: '9_10' }),
        ]),
      );
      expect(await groupCount(server, alice, 'chat.9_10')).toBe(2);
      expect(await groupCount(server, alice, 'chat.10_9')).toBe(0);
    });
  });
});
