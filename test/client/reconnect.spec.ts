import type WebSocket from 'ws';
import type { GapFrame, TopicFrame } from '../../client/src/realtime-client';
import type { Instance } from '../support/instance';
import { waitFor } from '../support/wait';
import { BareServer, portOf, Queue, startInstance, TestClients, unusedPort, WAIT_MS } from './client-support';

type Patients = TopicFrame<'all_patient_page_data'>;

describe('RealtimeClient: reconnects, heartbeat and refusals against servers that go away', () => {
  const clients = new TestClients({ backoff: { initialMs: 20, maxMs: 100 } });
  const { timers } = clients;
  const open = clients.open.bind(clients);
  const instances: Instance[] = [];
  const bareServers: BareServer[] = [];

  async function instanceOn(port = 0): Promise<Instance> {
    const instance = await startInstance(port);
    instances.push(instance);
    return instance;
  }

  async function bare(...args: Parameters<typeof BareServer.start>): Promise<BareServer> {
    const server = await BareServer.start(...args);
    bareServers.push(server);
    return server;
  }

  /** Waits until the client has made `count` handshake attempts in all. */
  function attempts(count: number): Promise<void> {
    return waitFor(() => clients.log.attempts >= count, {
      timeoutMs: WAIT_MS,
      what: `${count} attempts (${clients.log.attempts})`,
    });
  }

  beforeEach(() => clients.setUp());

  afterEach(() =>
    clients.tearDown(() =>
      Promise.all([
        ...instances.splice(0).map((instance) => instance.stop()),
        ...bareServers.splice(0).map((server) => server.stop()),
      ]),
    ),
  );

  it('server restarted on the same port: reconnecting, open again with since, a gap (fresh memory layer), snapshots asked for again', async () => {
    const first = await instanceOn();
    const port = portOf(first);
    const token = await first.login('alice', ['admin']);
    let tokenCalls = 0;
    const { client, watch } = open(`${first.ws}/socket/all`, {
      token: async () => {
        tokenCalls += 1;
        return token;
      },
      backoff: { initialMs: 50, maxMs: 100 },
    });
    const patients = new Queue<Patients>();
    client.on('all_patient_page_data', patients.push);
    const gaps = new Queue<GapFrame>();
    client.onGap(gaps.push);
    expect(await patients.next()).toEqual({ type: 'all_patient_page_data', data: null });
    await first.request('POST', '/api/notify/all_patient_page_data', { token, body: { data: 'before the restart' } });
    expect(await patients.next()).toMatchObject({ data: 'before the restart', id: expect.any(Number) });

    await first.stop();
    instances.splice(instances.indexOf(first), 1);
    await watch.state('reconnecting');
    // While the port is closed: several attempts, each probed, one `unreachable` for the outage.
    await attempts(4);
    expect(watch.errorsOf('unreachable')).toHaveLength(1);
    expect(client.state).toBe('reconnecting');

    const second = await instanceOn(port);
    await watch.state('open');
    // The client resumed from the last id it had; the new instance (a fresh memory layer) has no
    // history of the group: a gap, so the snapshot (null now) replaces what the page showed.
    const url = new URL(clients.log.sockets[clients.log.sockets.length - 1].url);
    expect(url.searchParams.get('since')).toBe(String(client.lastId));
    expect(await gaps.next()).toEqual({ type: 'gap', since: client.lastId, first: null });
    expect(await patients.next()).toEqual({ type: 'all_patient_page_data', data: null });
    await second.request('POST', '/api/notify/all_patient_page_data', { token, body: { data: 'after' } });
    expect(await patients.next()).toMatchObject({ data: 'after', id: expect.any(Number) });

    expect(watch.states).toEqual(['open', 'reconnecting', 'open']);
    expect(watch.errorsOf('refused')).toEqual([]);
    expect(tokenCalls).toBe(clients.log.attempts); // the token is asked for again before every attempt
    expect(clients.log.live).toBe(1);
  });

  it('server down from the start: unreachable once, and it keeps trying with backoff', async () => {
    const port = await unusedPort();
    const { client, watch } = open(`ws://127.0.0.1:${port}/socket/all`, { token: 't' });
    const unreachable = await watch.error('unreachable');
    expect(unreachable.message).toEqual(expect.any(String));
    expect(unreachable.status).toBeUndefined(); // no HTTP answer at all
    await attempts(4);
    expect(watch.errorsOf('unreachable')).toHaveLength(1);
    expect(watch.states).toEqual(['reconnecting']);
    expect(client.state).toBe('reconnecting');
  });

  it('an error handler that closes the client on unreachable: it stays closed and tries no more', async () => {
    const port = await unusedPort();
    const { client, watch } = open(`ws://127.0.0.1:${port}/socket/all`, { token: 't' });
    client.onError((error) => {
      if (error.kind === 'unreachable') client.close();
    });
    await watch.error('unreachable');
    const attemptsAtClose = clients.log.attempts;
    // The claim is that nothing happens: a quiet window of several backoff delays (20-100 ms).
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(client.state).toBe('closed');
    expect(watch.states).toEqual(['closed']);
    expect(clients.log.attempts).toBe(attemptsAtClose);
  });

  it('the server comes up during the outage: the same client opens, without a new error', async () => {
    const port = await unusedPort();
    // A token the instance about to start will accept: dev-login on a throwaway instance.
    const helper = await instanceOn();
    const token = await helper.login('alice');
    const { watch } = open(`ws://127.0.0.1:${port}/socket/all`, { token });
    await watch.error('unreachable');
    await attempts(2);
    await instanceOn(port);
    await watch.state('open');
    expect(watch.states).toEqual(['reconnecting', 'open']);
    expect(watch.errors.map((error) => error.kind)).toEqual(['unreachable']);
  });

  it('a dead peer (accepts, never answers ping): the heartbeat closes the socket and reconnects', async () => {
    const server = await bare();
    const { watch } = open(server.url, { token: 't', heartbeatMs: 50, pongTimeoutMs: 50 });
    const firstSocket = await server.connections.next(WAIT_MS, 'the first connection');
    const closed = new Promise<number>((resolve) => firstSocket.once('close', (code: number) => resolve(code)));
    await server.connections.next(WAIT_MS, 'a second connection');
    expect(await closed).toBe(4000);
    await watch.state('open');
    expect(watch.states.slice(0, 3)).toEqual(['open', 'reconnecting', 'open']);
    // No pong was ever received on the first socket; it was a ping it missed, not an error.
    expect(clients.log.sockets[0].received).toEqual([]);
    expect(watch.errors).toEqual([]);
    expect(server.count).toBeGreaterThanOrEqual(2);
  });

  it('the handshake fails but the probe answers 426 (would be accepted): unreachable, keeps retrying', async () => {
    const server = await bare(undefined, { verifyClient: () => false });
    const { client, watch } = open(server.url, { token: 't' });
    const error = await watch.error('unreachable');
    expect(error.status).toBe(426);
    await attempts(4);
    expect(watch.errorsOf('unreachable')).toHaveLength(1);
    expect(client.state).toBe('reconnecting');
    expect(server.count).toBe(0);
  });

  it('close() while reconnecting stops the retries at once', async () => {
    const port = await unusedPort();
    const { client, watch } = open(`ws://127.0.0.1:${port}/socket/all`, { token: 't' });
    await attempts(2);
    client.close();
    expect(client.state).toBe('closed');
    expect(timers.pending).toBe(0);
    const made = clients.log.attempts;
    await new Promise((resolve) => setTimeout(resolve, 150)); // a few backoff periods: nothing new
    expect(clients.log.attempts).toBe(made);
    expect(watch.states).toEqual(['reconnecting', 'closed']);
  });

  it('malformed inbound frames are dropped and reported, never thrown; the socket stays open', async () => {
    const server = await bare((socket: WebSocket) => {
      for (const text of ['not json', '[1,2]', '42', 'null', '"text"']) socket.send(text);
      socket.send(Buffer.from([1, 2, 3]), { binary: true });
      socket.send(JSON.stringify({ type: 'custom', n: 1 }));
    });
    const { client, watch } = open(server.url, { token: 't', snapshots: false });
    const custom = new Queue<{ type: string }>();
    client.on('custom', custom.push);
    expect(await custom.next()).toEqual({ type: 'custom', n: 1 });
    expect(watch.errors.map((error) => error.kind)).toEqual(['frame', 'frame', 'frame', 'frame', 'frame', 'frame']);
    expect(client.state).toBe('open');
    expect(clients.log.attempts).toBe(1);
  });

  it('a handler that throws is reported; the other handlers still run', async () => {
    const server = await bare((socket: WebSocket) => socket.send(JSON.stringify({ type: 'custom' })));
    const { client, watch } = open(server.url, { token: 't', snapshots: false });
    const failure = new Error('widget broke');
    client.on('custom', () => {
      throw failure;
    });
    const after = new Queue<{ type: string }>();
    client.on('custom', after.push);
    await after.next();
    expect(await watch.error('handler')).toMatchObject({ kind: 'handler', cause: failure });
    expect(client.state).toBe('open');
  });

  it('snapshots are off by default outside /socket/all, and can be turned on', async () => {
    /** A bare server that queues what its clients send. */
    async function recording(): Promise<{ server: BareServer; received: Queue<string> }> {
      const received = new Queue<string>();
      const server = await bare((socket: WebSocket) =>
        socket.on('message', (data: Buffer) => received.push(data.toString())),
      );
      return { server, received };
    }
    const plain = await recording();
    const room = open(plain.server.url.replace('/socket/all', '/ws/room/lobby'), { token: 't' });
    room.client.on('all_patient_page_data', () => undefined);
    await room.watch.state('open');
    room.client.send('marker');
    // Nothing was sent before it but the ping that marks the end of the catch-up after open.
    expect(await plain.received.next()).toBe('ping');
    expect(await plain.received.next()).toBe('marker');

    const asking = await recording();
    const asked = open(asking.server.url.replace('/socket/all', '/ws/room/lobby'), { token: 't', snapshots: true });
    asked.client.on('all_patient_page_data', () => undefined);
    asked.client.on('ack', () => undefined); // `ack` and `error` are replies, not topics
    asked.client.on('error', () => undefined);
    asked.client.on('gap', () => undefined);
    expect(await asking.received.next()).toBe('ping');
    expect(await asking.received.next()).toBe('{"type":"all_patient_page_data"}');
    asked.client.send('marker');
    expect(await asking.received.next()).toBe('marker');
  });
});
