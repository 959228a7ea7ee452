import WebSocket from 'ws';
import type {
  AckFrame,
  ChatFrame,
  ConnectOptions,
  ErrorFrame,
  InboundFrame,
  PushFrame,
  TopicData,
  TopicFrame,
  WebSocketConstructor,
} from '../../client/src/realtime-client';
import type { Instance } from '../support/instance';
import { OTHER_SECRET, signToken } from '../support/tokens';
import { waitFor } from '../support/wait';
import { Queue, startInstance, TestClients, WAIT_MS } from './client-support';

// `ws`'s own class fits the option as it is (a compile-time check).
const wsFitsTheOption: WebSocketConstructor = WebSocket;

describe('RealtimeClient against a real instance', () => {
  let instance: Instance;
  let admin: string;
  const clients = new TestClients({ backoff: { initialMs: 20 } });
  const { timers } = clients;

  /** A client on `path` of the instance, through the recording WebSocket, with fast retries. */
  function open(path: string, options: Partial<ConnectOptions> & Pick<ConnectOptions, 'token'>) {
    return clients.open(instance.ws + path, options);
  }

  async function notify(topic: string, data: unknown): Promise<number> {
    const response = await instance.request('POST', `/api/notify/${topic}`, { token: admin, body: { data } });
    expect(response.status).toBe(202);
    return (response.body as { id: number }).id;
  }

  async function connections(group: string): Promise<number> {
    const response = await instance.request('GET', `/api/groups/${group}`, { token: admin });
    return (response.body as { connections: number }).connections;
  }

  beforeEach(async () => {
    // A fresh instance each time: snapshots start at null and nothing carries over.
    instance = await startInstance();
    admin = await instance.login('admin', ['admin']);
    clients.setUp();
  });

  afterEach(() => clients.tearDown(() => instance.stop()));

  it('connects: connecting, then open, over one socket', async () => {
    expect(wsFitsTheOption).toBe(WebSocket);
    const { client, watch } = open('/socket/all', { token: await instance.login('alice') });
    expect(client.state).toBe('connecting');
    expect(client.url).toBe(`${instance.ws}/socket/all`);
    await watch.state('open');
    expect(watch.states).toEqual(['open']);
    expect(clients.log.attempts).toBe(1);
    expect(await connections('chat_all_data')).toBe(1);
    expect(watch.errors).toEqual([]);
  });

  it("on(topic) gets the topic's snapshot on open (null before any notify), then every broadcast", async () => {
    const { client, watch } = open('/socket/all', { token: await instance.login('alice') });
    const patients = new Queue<TopicFrame<'all_patient_page_data'>>();
    const visits = new Queue<TopicFrame<'all_active_visit_data'>>();
    client.on('all_patient_page_data', patients.push);
    client.on('all_active_visit_data', visits.push);

    expect(await patients.next()).toEqual({ type: 'all_patient_page_data', data: null });
    expect(await visits.next()).toEqual({ type: 'all_active_visit_data', data: null });
    expect(client.state).toBe('open');

    const id = await notify('all_patient_page_data', [{ name: 'Zhang San', bed: 12 }]);
    expect(await patients.next()).toEqual({
      type: 'all_patient_page_data',
      data: [{ name: 'Zhang San', bed: 12 }],
      id,
    });
    expect(visits.size).toBe(0);
    expect(watch.errors).toEqual([]);
  });

  it('a topic that gets its first handler while open is asked for its snapshot at once', async () => {
    await notify('all_active_visit_data', 'V-1001 in 2B');
    const { client, watch } = open('/socket/all', { token: await instance.login('alice') });
    await watch.state('open');
    const visits = new Queue<TopicFrame<'all_active_visit_data'>>();
    client.on('all_active_visit_data', visits.push);
    expect(await visits.next()).toEqual({ type: 'all_active_visit_data', data: 'V-1001 in 2B' });
  });

  it('typed handlers: topic data, ack and error frames; off() and the unsubscribe function stop them', async () => {
    const { client, watch } = open('/socket/all', { token: await instance.login('alice') });
    const errors = new Queue<ErrorFrame>();
    client.on('error', (frame) => {
      const code: number = frame.code;
      const msg: string = frame.msg;
      errors.push({ type: frame.type, code, msg });
    });
    const seen: Array<TopicData | null> = [];
    const handler = (frame: TopicFrame<'all_patient_page_data'>) => seen.push(frame.data);
    client.on('all_patient_page_data', (frame) => {
      // @ts-expect-error topic data is a string, an array, an object or null, never a number
      const wrong: number = frame.data;
      return wrong;
    });
    client.on('all_patient_page_data', handler);
    const other = new Queue<InboundFrame & { type: string }>();
    const unsubscribe = client.on('custom_topic', other.push);
    unsubscribe();
    client.off('all_patient_page_data', handler);
    await watch.state('open');

    // `{"type":"error"}` is not a topic: the client never asks for it as a snapshot.
    expect(client.send({ type: 'nope' })).toBe(true);
    expect(await errors.next()).toEqual({ type: 'error', code: 404, msg: expect.stringMatching(/nope/) });
    await notify('all_patient_page_data', { beds: 3 });
    expect(seen).toEqual([]);
    expect(other.size).toBe(0);
    expect(errors.size).toBe(0);
  });

  it('chat, push and room frames reach onFrame; the sender gets its ack through on("ack")', async () => {
    const alice = await instance.login('alice');
    const bob = await instance.login('bob');
    const chatA = open('/ws/chat/alice_bob', { token: alice });
    const chatB = open('/ws/chat/bob_alice', { token: bob });
    const pushA = open('/push/alice', { token: alice });
    const room = open('/ws/room/lobby', { token: bob });
    await Promise.all([chatA, chatB, pushA, room].map(({ watch }) => watch.state('open')));

    const acks = new Queue<AckFrame>();
    chatA.client.on('ack', acks.push);
    const bobFrames = new Queue<InboundFrame>();
    chatB.client.onFrame(bobFrames.push);
    expect(chatA.client.send({ message: 'hello', to_user: 'bob' })).toBe(true);
    const ack = await acks.next();
    const chat = (await bobFrames.next()) as unknown as ChatFrame;
    expect(chat).toEqual({ message: 'hello', from: 'alice', group: 'alice_bob', id: ack.id, ts: expect.any(Number) });

    const pushes = new Queue<InboundFrame>();
    pushA.client.onFrame(pushes.push);
    const pushed = await instance.request('POST', '/api/push/alice', { token: admin, body: { event: { kind: 'x' } } });
    const push = (await pushes.next()) as unknown as PushFrame<{ kind: string }>;
    expect(push).toEqual({ event: { kind: 'x' }, id: (pushed.body as { id: number }).id });

    const said = new Queue<InboundFrame>();
    room.client.onFrame(said.push);
    room.client.send({ message: 'hi all' });
    expect(await said.next()).toMatchObject({ message: 'hi all', from: 'bob', room: 'lobby' });
  });

  it('send() is false (and sends nothing) unless open', async () => {
    const { client, watch } = open('/ws/room/lobby', { token: await instance.login('alice') });
    expect(client.send({ message: 'too early' })).toBe(false);
    await watch.state('open');
    expect(client.send('ping')).toBe(true);
    client.close();
    expect(client.send({ message: 'too late' })).toBe(false);
  });

  it('heartbeat: pings every heartbeatMs, gets its pongs and stays open on the same socket', async () => {
    const { client, watch } = open('/socket/all', { token: await instance.login('alice'), heartbeatMs: 50 });
    await watch.state('open');
    const [socket] = clients.log.sockets;
    // The server answers `pong` only to `ping`: three pongs are three pings answered.
    await waitFor(() => socket.received.filter((text) => text === 'pong').length >= 3, {
      timeoutMs: WAIT_MS,
      what: 'three pongs',
    });
    expect(client.state).toBe('open');
    expect(watch.states).toEqual(['open']);
    expect(clients.log.attempts).toBe(1);
    expect(watch.errors).toEqual([]);
  });

  it('close() closes for good: state closed, the server sees it go, no retry and no timer left', async () => {
    const { client, watch } = open('/socket/all', {
      token: await instance.login('alice'),
      heartbeatMs: 50,
      backoff: { initialMs: 10, maxMs: 10 },
    });
    await watch.state('open');
    expect(timers.pending).toBe(1); // the heartbeat's next ping (the connect timeout went on open)
    client.close();
    expect(client.state).toBe('closed');
    expect(watch.states).toEqual(['open', 'closed']);
    expect(timers.pending).toBe(0);
    await clients.log.allClosed();
    await waitFor(async () => (await connections('chat_all_data')) === 0, {
      timeoutMs: WAIT_MS,
      what: 'the server to drop it',
    });
    expect(clients.log.attempts).toBe(1);
    client.close(); // twice is fine
    expect(watch.states).toEqual(['open', 'closed']);
  });

  it('close() while the first attempt is still connecting: nothing opens', async () => {
    const { client, watch } = open('/socket/all', {
      token: () => new Promise<string>((resolve) => setTimeout(() => resolve(admin), 30)),
    });
    client.close();
    expect(client.state).toBe('closed');
    await new Promise((resolve) => setTimeout(resolve, 60)); // the token arrives after the close
    expect(clients.log.attempts).toBe(0);
    expect(watch.states).toEqual(['closed']);
  });

  describe('a refused handshake closes the client and is never retried', () => {
    it.each([
      ['a token for another user', '/push/alice', 'bob', 403],
      ['no such endpoint', '/nope', 'alice', 404],
      ['a malformed chat group', '/ws/chat/alice_alice', 'alice', 400],
      ['a malformed room name', '/ws/room/not!a!room', 'alice', 400],
    ])('%s (%s as %s) → %i', async (_why, path, user, status) => {
      const { client, watch } = open(path, { token: await instance.login(user) });
      const error = await watch.error('refused');
      expect(error).toMatchObject({ kind: 'refused', status, message: expect.any(String) });
      await watch.state('closed');
      expect(watch.states).toEqual(['closed']);
      // No retry scheduled: a loop (20 ms backoff) would need a timer, and would make more sockets.
      expect(timers.pending).toBe(0);
      expect(clients.log.attempts).toBe(1);
      expect(watch.errors).toHaveLength(1);
      expect(client.state).toBe('closed');
    });

    it.each([
      ['signed with another secret', () => signToken({ sub: 'alice' }, OTHER_SECRET)],
      ['not a JWT', () => 'not-a-token'],
      ['empty', () => ''],
    ])('a bad token (%s) → 401', async (_why, token) => {
      const { client, watch } = open('/socket/all', { token: token() });
      expect(await watch.error('refused')).toMatchObject({ kind: 'refused', status: 401 });
      await watch.state('closed');
      expect(client.state).toBe('closed');
      expect(clients.log.attempts).toBe(1);
    });
  });
});
