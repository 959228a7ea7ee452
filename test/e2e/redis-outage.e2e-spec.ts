import { redisCluster, type Cluster } from '../support/cluster';
import { RedisServer } from '../support/redis-server';
import { waitFor } from '../support/wait';
import type { TestClient } from '../support/ws-client';

/**
 * CONTRACT.md, HTTP API: while an instance cannot reach its Redis it accepts nothing it could not
 * deliver everywhere (503s and error frames), open sockets stay open, and once Redis is back
 * cross-instance delivery works again without restarting the app.
 */
describe('Redis outage and recovery', () => {
  let redis: RedisServer;
  let cluster: Cluster;
  let admin: string;
  let user: string;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    cluster = await redisCluster(redis.url);
    admin = await cluster.a.login('root', ['admin']);
    user = await cluster.a.login('alice');
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await cluster?.stop();
    await redis?.stop();
  });

  const health = async (on: 'a' | 'b'): Promise<number> => (await cluster[on].request('GET', '/health')).status;

  test('503 while Redis is down, nothing half-delivered, sockets stay open; all back after restart', async () => {
    const bob = await cluster.b.login('bob');
    const allOnA = await cluster.a.connect('/socket/all', { token: user });
    const allOnB = await cluster.b.connect('/socket/all', { token: bob });
    const chat = await cluster.a.connect('/ws/chat/alice_bob', { token: user });
    const bobChat = await cluster.b.connect('/ws/chat/alice_bob', { token: bob });
    const room = await cluster.b.connect('/ws/room/ops', { token: bob });
    clients.push(allOnA, allOnB, chat, bobChat, room);

    await redis.kill();
    await waitFor(async () => (await health('a')) === 503 && (await health('b')) === 503, {
      timeoutMs: 10_000,
      what: '/health 503 on both instances',
    });
    expect((await cluster.a.request('GET', '/health')).body).toEqual({ status: 'unavailable', layer: 'redis' });

    const notify = await cluster.a.request('POST', '/api/notify/all_patient_page_data', {
      token: admin,
      body: { data: 'lost?' },
    });
    expect(notify.status).toBe(503);
    expect(notify.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    const push = await cluster.b.request('POST', '/api/push/bob', { token: admin, body: { event: 'x' } });
    expect(push.status).toBe(503);

    chat.send({ message: 'during outage' });
    expect(await chat.nextJson()).toEqual({ type: 'error', code: 503, msg: expect.any(String) });
    room.send({ message: 'during outage' });
    expect(await room.nextJson()).toEqual({ type: 'error', code: 503, msg: expect.any(String) });

    // Open sockets stay open and answer; nothing that was refused arrives anywhere.
    for (const client of [allOnA, allOnB, chat, bobChat, room]) await client.expectNothingPending();

    await redis.restart();
    await waitFor(async () => (await health('a')) === 200 && (await health('b')) === 200, {
      timeoutMs: 15_000,
      what: '/health 200 on both instances',
    });

    const after = await cluster.b.request('POST', '/api/notify/all_patient_page_data', {
      token: admin,
      body: { data: 'after' },
    });
    expect(after.status).toBe(202);
    const frame = { type: 'all_patient_page_data', data: 'after', id: (after.body as { id: number }).id };
    expect(await allOnA.nextJson()).toEqual(frame);
    expect(await allOnB.nextJson()).toEqual(frame);

    // Presence was written again after the empty restart: bob counts as present in the chat.
    chat.send({ message: 'back' });
    const frames = await chat.take(2);
    expect(frames).toContainEqual({ type: 'ack', id: expect.any(Number) });
    expect(await bobChat.nextJson()).toMatchObject({ message: 'back', from: 'alice', group: 'alice_bob' });
    const counted = await cluster.a.request('GET', '/api/groups/chat_all_data', { token: user });
    expect(counted.body).toEqual({ group: 'chat_all_data', connections: 2 });
  });
});
