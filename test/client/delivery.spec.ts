import type { ConnectOptions, GapFrame, SendError, TopicFrame } from '../../client/src/realtime-client';
import { Queue, receivedFrames, TestClients, WAIT_MS, Watch, type ReceivedFrame } from './client-support';
import { ContractServer, type ServerSocket } from './contract-server';

/**
 * The client's side of "nothing lost across reconnects" against a small server that speaks the
 * contract's delivery frames (`contract-server.ts`): resume with `since`, no duplicate, replayed
 * frames flagged, gaps, and messages resent with their `cid` until acknowledged.
 */
describe('RealtimeClient: resume, gaps and acknowledged sends', () => {
  let server: ContractServer;
  const clients = new TestClients({ backoff: { initialMs: 10, maxMs: 50 } });
  const ROOM = '/ws/room/lobby';

  function open(path: string, options: Partial<ConnectOptions> = {}) {
    const opened = clients.open(server.base + path, { token: 'a.b.c', ...options });
    return { ...opened, got: receivedFrames(opened.client) };
  }

  /** The next `count` frames the application got. */
  async function next(got: Queue<ReceivedFrame>, count: number): Promise<ReceivedFrame[]> {
    const frames: ReceivedFrame[] = [];
    for (let i = 0; i < count; i++) frames.push(await got.next(WAIT_MS, `frame ${i + 1} of ${count}`));
    return frames;
  }

  /** The server drops the client's socket; resolves with the socket the client opens next. */
  async function dropAndReturn(watch: Watch, whileAway: () => void = () => undefined): Promise<ServerSocket> {
    server.hold();
    server.drop();
    await watch.state('reconnecting');
    whileAway();
    server.release();
    const next = await server.connections.next(WAIT_MS, 'the reconnect');
    await watch.state('open');
    return next;
  }

  beforeEach(async () => {
    server = await ContractServer.start();
    clients.setUp();
  });

  afterEach(() => clients.tearDown(() => server.stop()));

  it('reconnects with since=<last id>, the token and the other parameters kept; gets what it missed once, flagged replayed', async () => {
    const { client, watch, got } = open(`${ROOM}?lang=zh`);
    const first = await server.connections.next();
    expect(first.url.search).toBe('?lang=zh&token=a.b.c'); // the first connect starts live
    await caughtUp(first);
    expect(client.lastId).toBeUndefined();

    const live = [1, 2, 3].map((n) => server.publish(ROOM, { message: `live ${n}`, room: 'lobby' }));
    expect(await next(got, 3)).toEqual(
      live.map((id, n) => ({ frame: { message: `live ${n + 1}`, room: 'lobby', id }, replayed: false })),
    );
    expect(client.lastId).toBe(live[2]);

    let missed: number[] = [];
    const second = await dropAndReturn(watch, () => {
      missed = [4, 5].map((n) => server.publish(ROOM, { message: `missed ${n}`, room: 'lobby' }));
    });
    expect(second.url.search).toBe(`?lang=zh&token=a.b.c&since=${live[2]}`);
    expect(await next(got, 2)).toEqual(
      missed.map((id, n) => ({ frame: { message: `missed ${n + 4}`, room: 'lobby', id }, replayed: true })),
    );
    // The replay ends with the answer to the ping the client sent at open: later frames are live.
    await caughtUp(second);
    const after = server.publish(ROOM, { message: 'after', room: 'lobby' });
    expect(await got.next()).toEqual({ frame: { message: 'after', room: 'lobby', id: after }, replayed: false });
    expect([...live, ...missed, after]).toEqual(Array.from({ length: 6 }, (_, n) => live[0] + n));
    expect(client.lastId).toBe(after);
    expect(got.size).toBe(0);
    expect(watch.errors).toEqual([]);
  });

  it('drops a frame at or below the last id: the application never gets one twice', async () => {
    const { client, got } = open(ROOM);
    const socket = await server.connections.next();
    await caughtUp(socket);
    const a = server.publish(ROOM, { message: 'a' });
    const b = server.publish(ROOM, { message: 'b' });
    expect((await next(got, 2)).map(({ frame }) => frame.id)).toEqual([a, b]);
    // The same frames again (as an overlapping replay would send them), then a new one.
    socket.socket.send(JSON.stringify({ message: 'a', id: a }));
    socket.socket.send(JSON.stringify({ message: 'b', id: b }));
    const c = server.publish(ROOM, { message: 'c' });
    expect(await got.next()).toEqual({ frame: { message: 'c', id: c }, replayed: false });
    // Frames without an id (a snapshot reply, an ack) are never taken for duplicates.
    socket.socket.send(JSON.stringify({ type: 'custom', data: 1 }));
    socket.socket.send(JSON.stringify({ type: 'custom', data: 1 }));
    expect((await next(got, 2)).map(({ frame }) => frame)).toEqual([
      { type: 'custom', data: 1 },
      { type: 'custom', data: 1 },
    ]);
    expect(client.lastId).toBe(c);
  });

  it('since given as an option (or in the URL) resumes the first connect too', async () => {
    const ids = [1, 2, 3].map((n) => server.publish('/push/alice', { event: { n } }));
    const { got } = open('/push/alice', { since: ids[0] });
    const first = await server.connections.next();
    expect(first.url.searchParams.get('since')).toBe(String(ids[0]));
    expect(await next(got, 2)).toEqual([
      { frame: { event: { n: 2 }, id: ids[1] }, replayed: true },
      { frame: { event: { n: 3 }, id: ids[2] }, replayed: true },
    ]);

    const fromUrl = open(`/push/alice?since=${ids[1]}`);
    expect((await server.connections.next()).url.search).toBe(`?token=a.b.c&since=${ids[1]}`);
    expect(await fromUrl.got.next()).toEqual({ frame: { event: { n: 3 }, id: ids[2] }, replayed: true });
  });

  it('a gap: onGap gets the frame, /socket/all asks for every snapshot again, then what is left is replayed', async () => {
    const ALL = '/socket/all';
    server.snapshots.set('all_patient_page_data', ['before']);
    const { client, watch, got } = open(ALL);
    const patients = new Queue<{ frame: TopicFrame<'all_patient_page_data'>; replayed: boolean }>();
    client.on('all_patient_page_data', (frame, info) => patients.push({ frame, replayed: info.replayed }));
    const first = await server.connections.next();
    expect(await patients.next()).toEqual({
      frame: { type: 'all_patient_page_data', data: ['before'] },
      replayed: false,
    });
    const seen = server.publish(ALL, { type: 'all_patient_page_data', data: ['v1'] });
    expect((await patients.next()).frame.id).toBe(seen);
    await next(got, 2); // the snapshot and v1, through onFrame
    const gaps = new Queue<GapFrame>();
    client.onGap(gaps.push);

    let kept = 0;
    const second = await dropAndReturn(watch, () => {
      for (const n of [2, 3, 4]) server.publish(ALL, { type: 'all_patient_page_data', data: [`v${n}`] });
      server.trim(ALL, 1); // v2 and v3 are gone
      kept = server.lastId(ALL) as number;
      server.snapshots.set('all_patient_page_data', ['v4']);
    });
    const gap = await gaps.next();
    expect(gap).toEqual({ type: 'gap', since: seen, first: kept });
    // The gap reaches onFrame and on('gap') too, and is not a numbered frame.
    expect(await got.next()).toMatchObject({ frame: { type: 'gap', since: seen, first: kept } });
    expect(await patients.next()).toEqual({
      frame: { type: 'all_patient_page_data', data: ['v4'], id: kept },
      replayed: true,
    });
    expect(await patients.next()).toEqual({ frame: { type: 'all_patient_page_data', data: ['v4'] }, replayed: false });
    expect(second.received).toEqual(['ping', '{"type":"all_patient_page_data"}']);
    // The first socket asked for the snapshot once; the resumed one only because of the gap.
    expect(first.received).toEqual(['ping', '{"type":"all_patient_page_data"}']);
    expect(client.lastId).toBe(kept);
  });

  it('a resumed reconnect without a gap asks for no snapshot: the replay brings what changed', async () => {
    const ALL = '/socket/all';
    const { client, watch } = open(ALL);
    const patients = new Queue<TopicFrame<'all_patient_page_data'>>();
    client.on('all_patient_page_data', patients.push);
    await server.connections.next();
    expect(await patients.next()).toEqual({ type: 'all_patient_page_data', data: null });
    server.publish(ALL, { type: 'all_patient_page_data', data: 'one' });
    await patients.next();
    let missed = 0;
    const second = await dropAndReturn(watch, () => {
      missed = server.publish(ALL, { type: 'all_patient_page_data', data: 'two' });
    });
    expect(await patients.next()).toEqual({ type: 'all_patient_page_data', data: 'two', id: missed });
    // A topic that gets its first handler now still gets its snapshot.
    const visits = new Queue<TopicFrame<'all_active_visit_data'>>();
    client.on('all_active_visit_data', visits.push);
    expect(await visits.next()).toEqual({ type: 'all_active_visit_data', data: null });
    expect(second.received).toEqual(['ping', '{"type":"all_active_visit_data"}']);
  });

  it('a gap on an open socket (its instance could not catch up) is reported and reloads the snapshots too', async () => {
    const ALL = '/socket/all';
    const { client } = open(ALL);
    const patients = new Queue<TopicFrame<'all_patient_page_data'>>();
    client.on('all_patient_page_data', patients.push);
    const gaps = new Queue<GapFrame>();
    client.onGap(gaps.push);
    const socket = await server.connections.next();
    await caughtUp(socket);
    expect(await patients.next()).toEqual({ type: 'all_patient_page_data', data: null });
    const seen = server.publish(ALL, { type: 'all_patient_page_data', data: 'one' });
    await patients.next();
    server.snapshots.set('all_patient_page_data', 'three');
    socket.socket.send(JSON.stringify({ type: 'gap', since: seen, first: seen + 2 }));
    expect(await gaps.next()).toEqual({ type: 'gap', since: seen, first: seen + 2 });
    expect(await patients.next()).toEqual({ type: 'all_patient_page_data', data: 'three' });
    expect(framesOf(socket)).toEqual(['{"type":"all_patient_page_data"}', '{"type":"all_patient_page_data"}']);
    expect(client.state).toBe('open');
    expect(client.lastId).toBe(seen);
  });

  it('a reconnect before any numbered frame cannot resume: no since, and every snapshot again', async () => {
    const { client, watch } = open('/socket/all');
    client.on('all_patient_page_data', () => undefined);
    const first = await server.connections.next();
    await waitForReceived(first, '{"type":"all_patient_page_data"}');
    const second = await dropAndReturn(watch);
    expect(second.url.searchParams.has('since')).toBe(false);
    await waitForReceived(second, '{"type":"all_patient_page_data"}');
    expect(second.received).toEqual(['ping', '{"type":"all_patient_page_data"}']);
  });

  it('sendMessage adds a cid and resolves with the id of its ack, in send order', async () => {
    const { client, watch, got } = open(ROOM);
    const socket = await server.connections.next();
    await watch.state('open');
    const sent = [client.sendMessage({ message: 'one' }), client.sendMessage({ message: 'two', cid: 'my-own' })];
    expect(client.unacknowledged).toBe(2);
    const ids = await Promise.all(sent);
    expect(ids[1]).toBe(ids[0] + 1);
    expect(client.unacknowledged).toBe(0);
    const frames = framesOf(socket).map((text) => JSON.parse(text) as { message: string; cid: string });
    expect(frames).toEqual([
      { message: 'one', cid: expect.stringMatching(/^[0-9a-f]{32}$/) },
      { message: 'two', cid: 'my-own' },
    ]);
    // The acks reached the application too; so did the room's copies.
    const kinds = (await next(got, 4)).map(({ frame }) =>
      frame.type === 'ack' ? `ack ${String(frame.id)}` : frame.message,
    );
    expect(kinds.sort()).toEqual([`ack ${ids[0]}`, `ack ${ids[1]}`, 'one', 'two']);
    expect(() => client.sendMessage({ message: 'x', cid: '' })).toThrow(TypeError);
    expect(() => client.sendMessage({ message: 'x', cid: 'c'.repeat(65) })).toThrow(TypeError);
  });

  it('accepted but dropped before the ack: resent after the reconnect with the same cid, acked with the original id, delivered once', async () => {
    const other = open(ROOM);
    const { client, watch, got } = open(ROOM);
    await other.watch.state('open');
    await watch.state('open');
    const warmup = await client.sendMessage({ message: 'warm-up' });
    expect((await next(got, 2)).map(({ frame }) => frame.id)).toEqual([warmup, warmup]); // ack and copy
    expect((await other.got.next()).frame.id).toBe(warmup);
    const sockets = server.sockets.length;

    server.mishap({ kind: 'drop-before-ack' });
    const acked = client.sendMessage({ message: 'important' });
    const later = client.sendMessage({ message: 'later' });
    // The other member gets it at once: the server accepted it.
    const delivered = await other.got.next();
    expect(delivered.frame).toMatchObject({ message: 'important' });
    await watch.state('reconnecting');
    await watch.state('open');
    expect(await acked).toBe(delivered.frame.id);
    const laterId = await later;
    expect(laterId).toBe((delivered.frame.id as number) + 1);

    const [firstSocket, resumed] = server.sockets.slice(sockets - 1);
    const firstTry = framesOf(firstSocket).map((text) => JSON.parse(text) as { message: string; cid: string });
    const retry = framesOf(resumed).map((text) => JSON.parse(text) as object);
    // The server read 'important' and dropped the socket ('later' was lost with it): both are sent
    // again on the new socket, in order, 'important' with the cid the server already has.
    expect(firstTry.map(({ message }) => message)).toEqual(['warm-up', 'important']);
    expect(retry).toEqual([firstTry[1], { message: 'later', cid: expect.stringMatching(/^[0-9a-f]{32}$/) }]);
    expect(resumed.url.searchParams.get('since')).toBe(String(warmup));
    // The sender sees its message once, in the replay; the other member once, live.
    const own = (await next(got, 4)).filter(({ frame }) => frame.type !== 'ack');
    expect(own).toEqual([
      {
        frame: { message: 'important', from: 'alice', ts: expect.any(Number), id: delivered.frame.id },
        replayed: true,
      },
      { frame: { message: 'later', from: 'alice', ts: expect.any(Number), id: laterId }, replayed: false },
    ]);
    expect((await other.got.next()).frame.id).toBe(laterId);
    expect(other.got.size).toBe(0);
    expect(client.unacknowledged).toBe(0);
  });

  it('messages sent while away wait, and go out in order on the next open', async () => {
    const { client, watch } = open(ROOM);
    await server.connections.next();
    await watch.state('open');
    server.hold();
    server.drop();
    await watch.state('reconnecting');
    const sent = ['a', 'b', 'c'].map((message) => client.sendMessage({ message }));
    expect(client.unacknowledged).toBe(3);
    server.release();
    const socket = await server.connections.next();
    const ids = await Promise.all(sent);
    expect(ids).toEqual([ids[0], ids[0] + 1, ids[0] + 2]);
    expect(framesOf(socket).map((text) => (JSON.parse(text) as { message: string }).message)).toEqual(['a', 'b', 'c']);
  });

  it('an error frame: a 400 rejects that message for good; a 503 keeps it and it is sent again', async () => {
    const { client, watch } = open(ROOM);
    const socket = await server.connections.next();
    await watch.state('open');
    server.mishap({ kind: 'error', code: 400 }, { kind: 'error', code: 503 });
    const refused = client.sendMessage({ message: 'too long' });
    const retried = client.sendMessage({ message: 'layer down' });
    const error = (await refused.then(
      () => undefined,
      (reason: unknown) => reason,
    )) as SendError;
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 400, cid: (JSON.parse(framesOf(socket)[0]) as { cid: string }).cid });
    const id = await retried;
    expect(id).toBe(server.lastId(ROOM));
    const cids = framesOf(socket).map((text) => (JSON.parse(text) as { cid: string }).cid);
    expect(cids).toEqual([cids[0], cids[1], cids[1]]);
    expect(client.unacknowledged).toBe(0);
  });

  it('close() rejects what is still unacknowledged; sendMessage on a closed client rejects', async () => {
    server.hold();
    const { client } = open(ROOM);
    const pending = client.sendMessage({ message: 'never sent' });
    client.close();
    await expect(pending).rejects.toMatchObject({ cid: expect.any(String) });
    await expect(pending).rejects.not.toHaveProperty('code');
    await expect(client.sendMessage({ message: 'too late' })).rejects.toThrow(/closed/);
    expect(client.unacknowledged).toBe(0);
  });
});

/** What the server socket received but the `ping` that ends the replay (and any other). */
function framesOf(socket: ServerSocket): string[] {
  return socket.received.filter((text) => text !== 'ping');
}

/**
 * Waits until the server has answered the `ping` the client sends at open: what the server sends
 * from now on reaches the client after that `pong`, as a live frame.
 */
function caughtUp(socket: ServerSocket): Promise<void> {
  return waitForReceived(socket, 'ping');
}

/** Waits until the server socket has received `text`. */
async function waitForReceived(socket: ServerSocket, text: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!socket.received.includes(text)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for the server to receive ${text}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
