import type { ConnectOptions, InboundFrame } from '../../client/src/realtime-client';
import { Instance } from '../support/instance';
import { TEST_SECRET } from '../support/tokens';
import { waitFor } from '../support/wait';
import { receivedFrames, startInstance, TestClients, WAIT_MS } from './client-support';
import { Relay } from './relay';

/**
 * "Nothing lost across reconnects" against a real instance, through a relay that fails the
 * network on request: the client resumes with `since`, the server replays, and a message whose
 * ack was lost is resent with its `cid` and kept once.
 */
describe('RealtimeClient resumes against a real instance', () => {
  let instance: Instance;
  let relay: Relay;
  let admin: string;
  const clients = new TestClients({ backoff: { initialMs: 10, maxMs: 50 } });

  function open(url: string, options: Partial<ConnectOptions> & Pick<ConnectOptions, 'token'>) {
    const opened = clients.open(url, options);
    return { ...opened, got: receivedFrames(opened.client) };
  }

  /** Waits until the socket the client made last has the answer to its catch-up ping: later frames are live. */
  async function caughtUp(): Promise<void> {
    const { sockets } = clients.log;
    const socket = sockets[sockets.length - 1];
    await waitFor(() => socket.received.includes('pong'), { timeoutMs: WAIT_MS, what: 'the catch-up pong' });
  }

  async function push(user: string, event: unknown): Promise<number> {
    const response = await instance.request('POST', `/api/push/${user}`, { token: admin, body: { event } });
    expect(response.status).toBe(202);
    return (response.body as { id: number }).id;
  }

  beforeEach(async () => {
    instance = await startInstance();
    relay = await Relay.start(instance.ws);
    admin = await instance.login('admin', ['admin']);
    clients.setUp();
  });

  afterEach(() =>
    clients.tearDown(async () => {
      await relay.stop();
      await instance.stop();
    }),
  );

  it('push: pushed while the connection was down, replayed once after the reconnect with since, then live', async () => {
    const token = await instance.login('alice');
    // Every attempt after the first waits for the test: the pushes "while away" go out first.
    let away: Promise<void> = Promise.resolve();
    let back = (): void => undefined;
    let attempts = 0;
    const { client, watch, got } = open(`${relay.base}/push/alice`, {
      token: async () => {
        attempts += 1;
        if (attempts > 1) await away;
        return token;
      },
    });
    const first = await relay.links.next();
    expect(new URL(first.upstream.url).searchParams.has('since')).toBe(false);
    await caughtUp();
    const live = await push('alice', { n: 1 });
    expect(await got.next()).toEqual({ frame: { event: { n: 1 }, id: live }, replayed: false });

    away = new Promise<void>((resolve) => (back = resolve));
    first.client.terminate();
    await watch.state('reconnecting');
    const missed = [await push('alice', { n: 2 }), await push('alice', { n: 3 })];
    back();
    const second = await relay.links.next();
    expect(new URL(second.upstream.url).searchParams.get('since')).toBe(String(live));
    expect([await got.next(), await got.next()]).toEqual([
      { frame: { event: { n: 2 }, id: missed[0] }, replayed: true },
      { frame: { event: { n: 3 }, id: missed[1] }, replayed: true },
    ]);
    await caughtUp();
    const after = await push('alice', { n: 4 });
    expect(await got.next()).toEqual({ frame: { event: { n: 4 }, id: after }, replayed: false });
    expect([live, ...missed, after]).toEqual([live, live + 1, live + 2, live + 3]);
    expect(client.lastId).toBe(after);
    expect(got.size).toBe(0);
  });

  it('push inbox: pushes sent while the user had no socket arrive on the first connect, flagged replayed, once', async () => {
    const token = await instance.login('carol');
    const waiting = [await push('carol', 'first'), await push('carol', 'second')];
    const first = open(`${instance.ws}/push/carol`, { token });
    expect([await first.got.next(), await first.got.next()]).toEqual([
      { frame: { event: 'first', id: waiting[0] }, replayed: true },
      { frame: { event: 'second', id: waiting[1] }, replayed: true },
    ]);
    await caughtUp();
    expect(first.client.lastId).toBe(waiting[1]);
    // Another tab of the same user, opened later, does not get them again: only what comes next.
    const second = open(`${instance.ws}/push/carol`, { token });
    await second.watch.state('open');
    await caughtUp();
    const next = await push('carol', 'third');
    expect(await second.got.next()).toEqual({ frame: { event: 'third', id: next }, replayed: false });
    expect(await first.got.next()).toEqual({ frame: { event: 'third', id: next }, replayed: false });
  });

  it('room: the ack lost with the connection, the message is resent with its cid, acked with the original id, delivered once', async () => {
    const alice = open(`${relay.base}/ws/room/lobby`, { token: await instance.login('alice') });
    const bob = open(`${instance.ws}/ws/room/lobby`, { token: await instance.login('bob') });
    const first = await relay.links.next();
    await Promise.all([alice.watch.state('open'), bob.watch.state('open')]);
    await caughtUp();

    relay.cutBeforeAck();
    const acked = alice.client.sendMessage({ message: 'important' });
    const delivered = await bob.got.next();
    expect(delivered.frame).toEqual({
      message: 'important',
      from: 'alice',
      room: 'lobby',
      id: expect.any(Number),
      ts: expect.any(Number),
    });
    await alice.watch.state('reconnecting');
    const second = await relay.links.next();
    expect(await acked).toBe(delivered.frame.id);

    const [sent] = first.up.filter((text) => text !== 'ping');
    const resent = second.up.filter((text) => text !== 'ping');
    expect(resent).toEqual([sent]); // the same frame, the same cid
    expect(JSON.parse(sent)).toEqual({ message: 'important', cid: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(second.down).toContainEqual(JSON.stringify({ type: 'ack', id: delivered.frame.id }));

    // Once each: a message sent after it is the next thing either of them gets.
    const later = await alice.client.sendMessage({ message: 'later' });
    expect(later).toBe((delivered.frame.id as number) + 1);
    expect((await bob.got.next()).frame).toMatchObject({ message: 'later', id: later });
    const aliceMessages: InboundFrame[] = [];
    while (aliceMessages.length < 2) {
      const { frame } = await alice.got.next();
      if (frame.type !== 'ack') aliceMessages.push(frame);
    }
    expect(aliceMessages.map((frame) => [frame.message, frame.id])).toEqual([
      ['important', delivered.frame.id],
      ['later', later],
    ]);
    expect(bob.got.size).toBe(0);
    expect(alice.client.unacknowledged).toBe(0);
  });

  it('a message the server refuses rejects with its code; the acks of the others still match their messages', async () => {
    const strict = await Instance.start({ PORT: '0', JWT_SECRET: TEST_SECRET, MESSAGE_MAX_CHARS: '5' });
    try {
      const { client, watch, got } = open(`${strict.ws}/ws/room/lobby`, { token: await strict.login('alice') });
      await watch.state('open');
      const sent = ['ok-1', 'much too long', 'ok-2'].map((message) => client.sendMessage({ message }));
      const [one, refused, two] = await Promise.allSettled(sent);
      expect(refused).toMatchObject({ status: 'rejected', reason: { code: 400, cid: expect.any(String) } });
      expect(one.status === 'fulfilled' && two.status === 'fulfilled').toBe(true);
      const ids = [one, two].map((result) => (result as PromiseFulfilledResult<number>).value);
      expect(ids[1]).toBe(ids[0] + 1);
      const copies: Array<[unknown, unknown]> = [];
      while (copies.length < 2) {
        const { frame } = await got.next();
        if (typeof frame.message === 'string') copies.push([frame.message, frame.id]);
      }
      expect(copies).toEqual([
        ['ok-1', ids[0]],
        ['ok-2', ids[1]],
      ]);
      expect(client.unacknowledged).toBe(0);
      client.close();
      await clients.log.allClosed();
    } finally {
      await strict.stop();
    }
  });

  it('chat: sendMessage to a peer who is away is acknowledged with the id the message got', async () => {
    const { client, watch } = open(`${instance.ws}/ws/chat/alice_bob`, { token: await instance.login('alice') });
    await watch.state('open');
    const [one, two] = await Promise.all([
      client.sendMessage({ message: 'are you there?', to_user: 'bob' }),
      client.sendMessage({ message: 'bed 12', to_user: 'bob' }),
    ]);
    expect(two).toBe(one + 1);
    expect(client.unacknowledged).toBe(0);
  });
});
