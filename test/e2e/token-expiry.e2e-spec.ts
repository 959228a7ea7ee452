import { TokenService } from '../../src/auth/token.service';
import { Peer } from '../../src/ws/peers/peer';
import { PeerHub } from '../../src/ws/peers/peer-hub';
import { TokenExpiry } from '../../src/ws/handshake/token-expiry';
import { expectRefused } from '../support/expectations';
import { Instance } from '../support/instance';
import { Sockets } from '../support/sockets';
import { epochSeconds, signToken, TEST_SECRET } from '../support/tokens';
import { waitFor, withTimeout } from '../support/wait';
import type { TestClient } from '../support/ws-client';

/**
 * Token expiry (CONTRACT.md, Limits and failure behaviour): a socket is closed with 4001 "token
 * expired" when its token's `exp` passes, on every endpoint; a token without `exp` never expires
 * a socket. Tokens are signed here with `exp` 1–2 s ahead (`exp` is in whole seconds).
 */

/** How late after `exp` the close may reach the client: the timer's second, plus a loaded machine. */
const LATE_MS = 1500;
const WAIT_MS = 10_000;

/** Each endpoint kind, with a path `user` may open. */
const ENDPOINTS: Array<[string, (user: string) => string]> = [
  ['the global socket', () => '/socket/all'],
  ['a chat', (user) => `/ws/chat/${user}_zed`],
  ['push', (user) => `/push/${user}`],
  ['a room', () => '/ws/room/lobby'],
  ['the echo', () => '/chat/socket/'],
];

interface Closed {
  code: number;
  reason: string;
  at: number;
}

/** When and how `client` was closed; rejects if it is not closed within `WAIT_MS`. */
async function closeOf(client: TestClient): Promise<Closed> {
  const closed = await withTimeout(
    client.closed.then((close) => ({ ...close, at: Date.now() })),
    WAIT_MS,
    'the close',
  );
  return closed;
}

/** A token for `user` that expires in 1–2 s (the next second but one). */
function shortToken(user: string): { token: string; exp: number } {
  const exp = epochSeconds(2);
  return { token: signToken({ sub: user, exp }), exp };
}

describe('token expiry', () => {
  let server: Instance;
  const sockets = new Sockets();

  beforeAll(async () => {
    server = await Instance.start({ JWT_SECRET: TEST_SECRET });
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await sockets.closeAll();
    // The server sees a close a moment after the client: the next test counts from zero.
    await waitFor(() => hub().size === 0, { timeoutMs: WAIT_MS, what: 'the server to drop every socket' });
  });

  afterAll(async () => {
    await server?.stop();
  });

  const expiry = (): TokenExpiry => server.app.get(TokenExpiry);
  const hub = (): PeerHub => server.app.get(PeerHub);

  test('every endpoint kind closes its socket with 4001 "token expired" within a second of exp, never before', async () => {
    const opened = await Promise.all(
      ENDPOINTS.map(async ([, path], i) => {
        const user = `user${i}`;
        const { token, exp } = shortToken(user);
        return { client: await sockets.connect(server, path(user), { token }), exp };
      }),
    );
    const closes = await Promise.all(opened.map(({ client }) => closeOf(client)));
    closes.forEach((closed, i) => {
      const { exp } = opened[i];
      expect({ endpoint: ENDPOINTS[i][0], code: closed.code, reason: closed.reason }).toEqual({
        endpoint: ENDPOINTS[i][0],
        code: 4001,
        reason: 'token expired',
      });
      expect(closed.at).toBeGreaterThanOrEqual(exp * 1000);
      expect(closed.at).toBeLessThan(exp * 1000 + LATE_MS);
    });
    await waitFor(() => hub().size === 0 && expiry().size === 0, { timeoutMs: WAIT_MS, what: 'the peers to go' });
  });

  test('a token without exp, or with a later one, keeps its socket open past the others expiry', async () => {
    const forever = await sockets.connect(server, '/ws/room/lobby', { token: signToken({ sub: 'forever' }) });
    const later = await sockets.connect(server, '/ws/room/lobby', {
      token: signToken({ sub: 'later', exp: epochSeconds(600) }),
    });
    const { token } = shortToken('soon');
    const soon = await sockets.connect(server, '/ws/room/lobby', { token });
    expect(expiry().size).toBe(2); // the token without exp is not scheduled at all
    expect((await closeOf(soon)).code).toBe(4001);
    // Both still open and answering: the expiry that fired closed nothing else.
    await forever.expectNothingPending();
    await later.expectNothingPending();
    forever.send({ message: 'still here' });
    expect(await forever.nextJson()).toMatchObject({ message: 'still here', from: 'forever' });
    expect(await later.nextJson()).toMatchObject({ message: 'still here', from: 'forever' });
    expect(expiry().size).toBe(1);
  });

  test('a socket closed before its exp is forgotten; one of the same second still expires', async () => {
    const close = jest.spyOn(Peer.prototype, 'close');
    const exp = epochSeconds(2);
    const token = signToken({ sub: 'alice', exp });
    const leaving = await sockets.connect(server, '/push/alice', { token });
    const staying = await sockets.connect(server, '/push/alice', { token });
    expect(expiry().size).toBe(2);
    await leaving.close();
    await waitFor(() => expiry().size === 1, { timeoutMs: WAIT_MS, what: 'the closed socket to be forgotten' });
    expect((await closeOf(staying)).code).toBe(4001);
    expect(close.mock.calls).toEqual([[4001, 'token expired']]); // only the one still open
    expect(expiry().size).toBe(0);
  });

  test('many sockets expiring in the same second get one close each', async () => {
    const close = jest.spyOn(Peer.prototype, 'close');
    const exp = epochSeconds(2);
    const count = 60;
    const clients = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        sockets.connect(server, '/ws/room/same-second', { token: signToken({ sub: `u${i}`, exp }) }),
      ),
    );
    expect(expiry().size).toBe(count);
    const closes = await Promise.all(clients.map(closeOf));
    expect(closes.map(({ code, reason }) => `${code} ${reason}`)).toEqual(clients.map(() => '4001 token expired'));
    expect(Math.max(...closes.map(({ at }) => at))).toBeLessThan(exp * 1000 + LATE_MS);
    expect(close).toHaveBeenCalledTimes(count);
    await waitFor(() => hub().size === 0, { timeoutMs: WAIT_MS, what: 'every peer to go' });
    expect(expiry().size).toBe(0);
  });

  test('a token already expired is refused at the handshake with 401', async () => {
    await expectRefused(`${server.ws}/ws/room/lobby`, { token: signToken({ sub: 'late', exp: epochSeconds(0) }) }, 401);
    expect(expiry().size).toBe(0);
  });

  test('the token service reads exp into the user, in ms since the epoch; none without exp', () => {
    const tokens = server.app.get(TokenService);
    const exp = epochSeconds(600);
    expect(tokens.verify(signToken({ sub: 'alice', exp }))).toEqual({ id: 'alice', roles: [], expiresAt: exp * 1000 });
    expect(tokens.verify(signToken({ sub: 'alice' }))).toEqual({ id: 'alice', roles: [] });
  });
});
