import type { ClientError, ConnectOptions } from '../../client/src/realtime-client';
import type { Instance } from '../support/instance';
import { epochSeconds, OTHER_SECRET, signToken } from '../support/tokens';
import { waitFor } from '../support/wait';
import { receivedFrames, startInstance, TestClients, WAIT_MS } from './client-support';

/**
 * The client's half of token expiry: the server closes a socket with 4001 when its token's `exp`
 * passes and refuses an expired token with 401; the client asks `getToken` for a fresh one and
 * reconnects with it, resuming where it left off, and stops with an error of kind `token` when no
 * usable token comes.
 */
describe('RealtimeClient: token refresh against a real instance', () => {
  let instance: Instance;
  let admin: string;
  const clients = new TestClients({ backoff: { initialMs: 20, maxMs: 100 } });
  const { timers } = clients;

  /** `exp` a whole second is all a JWT has: this expires 1–2 s from now. */
  const expiringSoon = (user: string): string => signToken({ sub: user, exp: epochSeconds(2) });
  const lasting = (user: string): string => signToken({ sub: user, exp: epochSeconds(600) });
  const expired = (user: string): string => signToken({ sub: user, exp: epochSeconds(-10) });

  function open(path: string, options: Partial<ConnectOptions> & Pick<ConnectOptions, 'token'>) {
    return clients.open(instance.ws + path, options);
  }

  async function push(user: string, event: unknown): Promise<number> {
    const response = await instance.request('POST', `/api/push/${user}`, { token: admin, body: { event } });
    expect(response.status).toBe(202);
    return (response.body as { id: number }).id;
  }

  /** The token and `since` each handshake attempt of the test's clients was made with. */
  function attemptQueries(): Array<{ token: string | null; since: string | null }> {
    return clients.log.sockets.map((socket) => {
      const query = new URL(socket.url).searchParams;
      return { token: query.get('token'), since: query.get('since') };
    });
  }

  beforeEach(async () => {
    instance = await startInstance();
    admin = await instance.login('admin', ['admin']);
    clients.setUp();
  });

  afterEach(() => clients.tearDown(() => instance.stop()));

  it('closed with 4001 at exp: asks getToken, reconnects with the new token and since, and loses nothing', async () => {
    const first = expiringSoon('alice');
    const fresh = lasting('alice');
    let asked = 0;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const getToken = async (): Promise<string> => {
      asked += 1;
      await released; // the test pushes while the client waits for its token
      return fresh;
    };
    const { client, watch } = open('/push/alice', { token: first, getToken });
    const got = receivedFrames(client);
    await watch.state('open');
    const live = await push('alice', { n: 1 });
    expect(await got.next()).toEqual({ frame: { event: { n: 1 }, id: live }, replayed: false });

    await waitFor(() => asked === 1, { timeoutMs: WAIT_MS, what: 'getToken after the expiry' });
    expect(client.state).toBe('reconnecting');
    const missed = [await push('alice', { n: 2 }), await push('alice', { n: 3 })];
    release();

    expect(await got.next()).toEqual({ frame: { event: { n: 2 }, id: missed[0] }, replayed: true });
    expect(await got.next()).toEqual({ frame: { event: { n: 3 }, id: missed[1] }, replayed: true });
    await watch.state('open');
    const after = await push('alice', { n: 4 });
    expect(await got.next()).toEqual({ frame: { event: { n: 4 }, id: after }, replayed: false });
    expect(got.size).toBe(0);

    expect(attemptQueries()).toEqual([
      { token: first, since: null },
      { token: fresh, since: String(live) },
    ]);
    expect(asked).toBe(1);
    expect(watch.states).toEqual(['open', 'reconnecting', 'open']);
    expect(watch.errors).toEqual([]);
  });

  it('the socket the server closed at exp got 4001 "token expired"', async () => {
    const { watch } = open('/ws/room/lobby', { token: expiringSoon('alice'), getToken: () => lasting('alice') });
    await watch.state('open');
    const socket = clients.log.sockets[0];
    const closed = await new Promise<[number, string]>((resolve) =>
      socket.once('close', (code: number, reason: Buffer) => resolve([code, reason.toString()])),
    );
    expect(closed).toEqual([4001, 'token expired']);
    await waitFor(() => clients.log.attempts === 2 && watch.states.length === 3, {
      timeoutMs: WAIT_MS,
      what: 'the reconnect',
    });
    await watch.state('open');
  });

  it('refused with 401 (an expired token): asks getToken and opens with the new token', async () => {
    const stale = expired('alice');
    const fresh = lasting('alice');
    let asked = 0;
    const { watch } = open('/socket/all', {
      token: stale,
      getToken: () => {
        asked += 1;
        return Promise.resolve(fresh);
      },
    });
    await watch.state('open');
    expect(asked).toBe(1);
    expect(attemptQueries().map(({ token }) => token)).toEqual([stale, fresh]);
    expect(watch.errors).toEqual([]); // not reported as refused: the client could do something about it
    expect(watch.states).toEqual(['reconnecting', 'open']);
  });

  it('a getToken that throws: asked tokenRetries (3) times in a row, then an error of kind token, and closed for good', async () => {
    let asked = 0;
    const failure = new Error('the session is over');
    const { client, watch } = open('/socket/all', {
      token: expired('alice'),
      getToken: () => {
        asked += 1;
        throw failure;
      },
    });
    const error = await watch.error('token');
    expect(error).toEqual<ClientError>({
      kind: 'token',
      status: 401,
      message: 'no usable token after asking getToken 3 times (the session is over)',
      cause: failure,
    });
    await watch.state('closed');
    expect(asked).toBe(3);
    expect(clients.log.attempts).toBe(1); // no token: no handshake
    expect(timers.pending).toBe(0); // nothing scheduled: closed for good
    await new Promise((resolve) => setTimeout(resolve, 150)); // several backoff periods
    expect(asked).toBe(3);
    expect(clients.log.attempts).toBe(1);
    expect(client.state).toBe('closed');
    expect(watch.errors).toHaveLength(1);
  });

  it('a getToken whose tokens are refused too: asked tokenRetries times, each token tried once, then kind token', async () => {
    const tokens = [1, 2].map(() => signToken({ sub: 'alice' }, OTHER_SECRET));
    let asked = 0;
    const { watch } = open('/socket/all', {
      token: expired('alice'),
      tokenRetries: 2,
      getToken: () => tokens[asked++],
    });
    const error = await watch.error('token');
    expect(error).toMatchObject({ kind: 'token', status: 401, message: expect.stringContaining('2 times') });
    await watch.state('closed');
    expect(asked).toBe(2);
    expect(attemptQueries().map(({ token }) => token)).toEqual([expect.any(String), ...tokens]);
    expect(timers.pending).toBe(0);
  });

  it('a getToken that fails once and then gives a token: tried again after a backoff delay, and opens', async () => {
    let asked = 0;
    const { watch } = open('/socket/all', {
      token: expired('alice'),
      getToken: async () => {
        asked += 1;
        if (asked === 1) throw new Error('offline for a moment');
        return lasting('alice');
      },
    });
    await watch.state('open');
    expect(asked).toBe(2);
    expect(watch.errors).toEqual([]);
  });

  it('4001 without getToken (a string token): an error of kind token with code 4001, closed, no retry', async () => {
    const { watch } = open('/ws/room/lobby', { token: expiringSoon('alice') });
    await watch.state('open');
    const error = await watch.error('token', WAIT_MS);
    expect(error).toEqual<ClientError>({
      kind: 'token',
      code: 4001,
      message: 'the token expired, and there is no getToken to ask for another',
    });
    await watch.state('closed');
    expect(clients.log.attempts).toBe(1);
    expect(timers.pending).toBe(0);
  });

  it('401 without getToken (a string token) is still a refusal: kind refused, status 401', async () => {
    const { watch } = open('/socket/all', { token: expired('alice') });
    expect(await watch.error('refused')).toMatchObject({ kind: 'refused', status: 401 });
    await watch.state('closed');
    expect(watch.errorsOf('token')).toEqual([]);
  });

  it('4001 with a token function and no getToken: the function is asked, and the client reconnects', async () => {
    let asked = 0;
    const { watch } = open('/ws/room/lobby', {
      token: () => (++asked === 1 ? expiringSoon('alice') : lasting('alice')),
    });
    await watch.state('open');
    await waitFor(() => watch.states.length >= 3, { timeoutMs: WAIT_MS, what: 'a drop and a reopen' });
    await watch.state('open');
    expect(watch.states).toEqual(['open', 'reconnecting', 'open']);
    expect(asked).toBe(2);
    expect(watch.errors).toEqual([]);
  });

  it('checks the options up front', () => {
    const url = `ws://127.0.0.1:1/socket/all`;
    expect(() => clients.open(url, { token: 't', tokenRetries: 0 })).toThrow(RangeError);
    expect(() => clients.open(url, { token: 't', tokenRetries: 1.5 })).toThrow(/tokenRetries/);
    expect(() => clients.open(url, { token: 't', getToken: 'x' as unknown as () => string })).toThrow(TypeError);
  });
});
