import { ChildInstance } from '../support/child-instance';
import { Instance } from '../support/instance';
import { RedisServer } from '../support/redis-server';
import { waitFor } from '../support/wait';
import { TestClient } from '../support/ws-client';

/** Presence must not outlive a crashed instance: SIGKILL → its sockets stop counting at once. */
describe('presence after an instance is killed with SIGKILL', () => {
  let redis: RedisServer;
  let survivor: Instance;
  let victim: ChildInstance;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { REDIS_URL: redis.url, REDIS_PREFIX: 'crash:' };
    survivor = await Instance.start(env);
    victim = await ChildInstance.start(env);
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await victim?.stop();
    await survivor?.stop();
    await redis?.stop();
  });

  test('the killed instance drops out of /api/groups counts', async () => {
    const token = await survivor.login('alice');
    clients.push(await survivor.connect('/socket/all', { token }));
    clients.push(await TestClient.open(`${victim.ws}/socket/all`, { token }));
    clients.push(await TestClient.open(`${victim.ws}/socket/all`, { token }));
    const count = async (): Promise<number> =>
      ((await survivor.request('GET', '/api/groups/chat_all_data', { token })).body as { connections: number })
        .connections;
    expect(await count()).toBe(3);

    const killedAt = Date.now();
    await victim.kill();
    // Redis drops the killed process's connections as the kernel closes them; the bound leaves
    // room for a loaded CI machine.
    await waitFor(async () => (await count()) === 1, { timeoutMs: 3000, intervalMs: 50, what: 'count 1' });
    expect(Date.now() - killedAt).toBeLessThan(3000);

    // The survivor's own socket still counts and still receives.
    const admin = await survivor.login('root', ['admin']);
    const posted = await survivor.request('POST', '/api/notify/all_patient_page_data', {
      token: admin,
      body: { data: 'x' },
    });
    expect(posted.status).toBe(202);
    expect(await clients[0].nextJson()).toMatchObject({ type: 'all_patient_page_data', data: 'x' });
  });
});
