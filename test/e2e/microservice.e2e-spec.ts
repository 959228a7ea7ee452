import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { Instance } from '../support/instance';
import { RedisServer } from '../support/redis-server';
import type { TestClient } from '../support/ws-client';

/** Backends that are not HTTP clients trigger the same broadcasts over the Redis transport. */
describe('microservice transport (Redis): notify and push patterns', () => {
  let redis: RedisServer;
  let instance: Instance;
  let client: ClientProxy;
  const sockets: TestClient[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    instance = await Instance.start({ REDIS_URL: redis.url, REDIS_PREFIX: 'ms:' });
    client = ClientProxyFactory.create({
      transport: Transport.REDIS,
      options: { host: '127.0.0.1', port: redis.port },
    });
    await client.connect();
  });

  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.close()));
    await client?.close();
    await instance?.stop();
    await redis?.stop();
  });

  test("emit('notify') reaches /socket/all sockets and stores the snapshot", async () => {
    const socket = await instance.connect('/socket/all', { token: await instance.login('alice') });
    sockets.push(socket);
    // An invalid event is dropped (logged) and does not stop the next one.
    client.emit('notify', { topic: 'all_patient_page_data', data: 5 });
    client.emit('notify', { topic: 'nope', data: 'x' });
    client.emit('notify', { topic: 'all_patient_page_data', data: [{ name: 'Wang Wu' }] });
    expect(await socket.nextJson()).toEqual({
      type: 'all_patient_page_data',
      data: [{ name: 'Wang Wu' }],
      id: expect.any(Number),
    });
    socket.send({ type: 'all_patient_page_data' });
    expect(await socket.nextJson()).toEqual({ type: 'all_patient_page_data', data: [{ name: 'Wang Wu' }] });
  });

  test("emit('push') reaches the user's /push sockets", async () => {
    const socket = await instance.connect('/push/bob', { token: await instance.login('bob') });
    sockets.push(socket);
    client.emit('push', { username: 'bob', event: { kind: 'visit', id: 7 } });
    expect(await socket.nextJson()).toEqual({ event: { kind: 'visit', id: 7 }, id: expect.any(Number) });
    await socket.expectNothingPending();
  });
});
