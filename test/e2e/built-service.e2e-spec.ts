import { ChildInstance } from '../support/child-instance';
import { signToken, TEST_SECRET } from '../support/tokens';
import { TestClient } from '../support/ws-client';

/**
 * The built service (`dist/main.js`, compiled by `nest build`) handles every kind of frame. The
 * other suites run the sources through ts-jest, which emits different decorator metadata: a
 * parameter typed `Peer<…>` is `Object` there and `Function` in the build, and a pipe that
 * validated it passed every in-process test and refused every chat frame of the built service.
 */
describe('the built service (dist/main.js)', () => {
  let service: ChildInstance;
  const clients: TestClient[] = [];
  const open = async (path: string, user: string): Promise<TestClient> => {
    const client = await TestClient.open(`${service.ws}${path}`, { token: signToken({ sub: user }) });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    service = await ChildInstance.start({ JWT_SECRET: TEST_SECRET });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await service?.stop();
  });

  test('a chat message reaches both members and is acknowledged; a bad one gets a 400 naming the field', async () => {
    const alice = await open('/ws/chat/alice_bob', 'alice');
    const bob = await open('/ws/chat/alice_bob', 'bob');
    alice.send('{"message":"hi"}');
    // The contract does not order the ack and the sender's own copy.
    const frames = await alice.take(2);
    const ack = frames.find((frame) => frame.type === 'ack') ?? {};
    const own = frames.find((frame) => frame !== ack);
    const copy = { message: 'hi', from: 'alice', group: 'alice_bob', id: ack.id, ts: expect.any(Number) };
    expect(ack).toEqual({ type: 'ack', id: expect.any(Number) });
    expect(own).toEqual(copy);
    expect(await bob.nextJson()).toEqual(copy);

    alice.send('{"message":5}');
    expect(await alice.nextJson()).toEqual({ type: 'error', code: 400, msg: expect.stringContaining('message') });
  });

  test('a room message reaches the room; a snapshot request on /socket/all is answered', async () => {
    const room = await open('/ws/room/lobby', 'carol');
    room.send('{"message":"hello"}');
    expect(await room.nextJson()).toEqual({
      message: 'hello',
      from: 'carol',
      room: 'lobby',
      id: expect.any(Number),
      ts: expect.any(Number),
    });
    const all = await open('/socket/all', 'carol');
    all.send('{"type":"all_patient_page_data"}');
    expect(await all.nextJson()).toEqual({ type: 'all_patient_page_data', data: null }); // nothing notified yet
  });
});
