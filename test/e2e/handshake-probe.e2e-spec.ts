import { Instance } from '../support/instance';

/**
 * A plain GET on a WebSocket path answers the status its handshake would get, so a browser client
 * (which cannot read a refused upgrade's status) can tell "refused" from "server down".
 */
describe('handshake probe: GET on a WebSocket path', () => {
  let instance: Instance;
  let alice: string;

  beforeAll(async () => {
    instance = await Instance.start();
    alice = await instance.login('alice');
  });

  afterAll(async () => {
    await instance?.stop();
  });

  const probe = async (path: string, token?: string): Promise<{ status: number; body: unknown }> =>
    instance.request('GET', token ? `${path}?token=${token}` : path);

  test.each([
    ['/socket/all', undefined, 401],
    ['/socket/all', 'not-a-jwt', 401],
    ['/push/bob', 'alice', 403],
    ['/ws/chat/bob_carol', 'alice', 403],
    ['/ws/chat/alice', 'alice', 400],
    ['/ws/room/bad.name', 'alice', 400],
    ['/push/alice', 'alice', 426],
    ['/socket/all', 'alice', 426],
    ['/chat/socket/', 'alice', 426],
  ])('GET %s with token %s → %i', async (path, who, status) => {
    const token = who === 'alice' ? alice : who;
    const answer = await probe(path, token);
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({ statusCode: status, message: expect.any(String), error: expect.any(String) });
  });

  test('a path that is no WebSocket endpoint is left to HTTP routing (404)', async () => {
    expect((await probe('/ws/nope', alice)).status).toBe(404);
  });

  test('an allowed cross-origin page may read the verdict; a foreign one gets 403 without CORS', async () => {
    const url = `/push/bob?token=${alice}`;
    const allowed = await fetch(`${instance.http}${url}`, { headers: { origin: 'http://localhost:5173' } });
    expect(allowed.status).toBe(403);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const foreign = await fetch(`${instance.http}${url}`, { headers: { origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('probing allocates nothing: the group stays empty', async () => {
    await probe('/socket/all', alice);
    const count = await instance.request('GET', '/api/groups/chat_all_data', { token: alice });
    expect(count.body).toEqual({ group: 'chat_all_data', connections: 0 });
  });
});
