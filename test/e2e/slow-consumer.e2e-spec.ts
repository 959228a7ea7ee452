import type { Server } from 'node:http';
import { Metrics } from '../../src/metrics/metrics.service';
import { SLOW_CONSUMER_CLOSE_MS } from '../../src/ws/peers/slow-consumers';
import { groupCount, PATIENTS } from '../support/expectations';
import { Instance } from '../support/instance';
import { ServerEnd, ServerEnds, SlowReader } from '../support/slow-reader';
import { Sockets } from '../support/sockets';
import { waitFor, withTimeout } from '../support/wait';
import type { TestClient } from '../support/ws-client';

/**
 * Slow consumers (WS_MAX_BUFFERED_BYTES): a socket whose unsent data passes the limit is closed
 * with 1013 and counted; fan-out never waits on it. The readers are real `ws` clients whose TCP
 * connection is paused; the server's end of each is watched in-process (`ServerEnd`), so the
 * tests assert the very figure the server compares: its unsent bytes right after each write.
 */

const DEFAULT_LIMIT = 1024 * 1024;
const SMALL_LIMIT = 64 * 1024;
/** A notify's data: 60 KB, under the 100 KB JSON body limit; its frame is 60,068 bytes. */
const BIG = 'x'.repeat(60_000);
/** Bounds every loop: the kernel takes a few MiB before the server queues anything. */
const MAX_POSTS = 400;
const FRAME_TIMEOUT_MS = 10_000;
/** The close frame a slow consumer gets: opcode 8, 15 bytes (1013, "slow consumer"). */
const CLOSE_FRAME = Buffer.concat([Buffer.from([0x88, 15, 0x03, 0xf5]), Buffer.from('slow consumer')]);
/** Instances for these tests: no protocol pings in the middle of a measurement, no HTTP limit. */
const ENV = { WS_PING_INTERVAL_MS: '600000', HTTP_RATE_PER_MIN: '1000000' };

interface TopicFrame {
  type: string;
  data: string;
  id: number;
}

/** A set-up instance: the server's ends of its connections, an admin token and a reader token. */
class Setup {
  readonly ends: ServerEnds;

  private constructor(
    readonly server: Instance,
    readonly admin: string,
    readonly token: string,
  ) {
    this.ends = new ServerEnds(server.app.getHttpServer() as Server);
  }

  static async start(env: Record<string, string>): Promise<Setup> {
    const server = await Instance.start({ ...ENV, ...env });
    return new Setup(server, await server.login('admin', ['admin']), await server.login('reader'));
  }

  async closes(): Promise<number> {
    return (await this.server.app.get(Metrics).slowConsumerCloses.get()).values[0]?.value ?? 0;
  }

  /**
   * Notifies `data` and returns the frame as `healthy` received it. Once it has, every socket of
   * the group was written to: the fan-out writes to each in one synchronous loop.
   */
  async broadcast(healthy: TestClient, data: string): Promise<string> {
    const posted = await this.server.request('POST', `/api/notify/${PATIENTS}`, { token: this.admin, body: { data } });
    expect(posted.status).toBe(202);
    return healthy.next(FRAME_TIMEOUT_MS);
  }

  /** Broadcasts `BIG` until a slow consumer has been cut; the frames `healthy` got. */
  async broadcastUntilCut(healthy: TestClient): Promise<string[]> {
    const before = await this.closes();
    const received: string[] = [];
    while ((await this.closes()) === before) {
      if (received.length === MAX_POSTS) throw new Error(`no slow consumer cut after ${MAX_POSTS} notifies`);
      received.push(await this.broadcast(healthy, BIG));
    }
    return received;
  }

  /**
   * Broadcasts until `end` holds exactly `target` unsent bytes. The kernel's buffers fill first
   * (until then the server queues nothing); then one frame of the right size. The next frame has
   * the previous one's fields and an id with as many digits, so its size is known in advance.
   */
  async fillTo(healthy: TestClient, end: ServerEnd, target: number): Promise<string[]> {
    const received: string[] = [];
    while (end.queued === 0) {
      if (received.length === MAX_POSTS) throw new Error(`nothing queued after ${MAX_POSTS} notifies`);
      received.push(await this.broadcast(healthy, BIG));
    }
    const last = received[received.length - 1];
    const overhead = Buffer.byteLength(last) - (JSON.parse(last) as TopicFrame).data.length;
    const payload = target - end.queued - 4; // a 4-byte header: 126 to 65535 payload bytes
    expect(payload).toBeGreaterThanOrEqual(126);
    expect(payload).toBeLessThan(0x10000);
    received.push(await this.broadcast(healthy, 'x'.repeat(payload - overhead)));
    return received;
  }
}

/**
 * Asserts that `end` was cut by the write that took it past `limit`: every write before left at
 * most `limit` unsent, that one at most one frame more, and all written after it is the close
 * frame. Returns that write's index.
 */
function expectCutPast(end: ServerEnd, limit: number): number {
  const cut = end.queuedAfterWrite.findIndex((queued) => queued > limit);
  expect(cut).toBeGreaterThan(0);
  expect(end.queuedAfterWrite[cut]).toBeLessThanOrEqual(limit + end.writes[cut].length);
  expect(Buffer.concat(end.writes.slice(cut + 1))).toEqual(CLOSE_FRAME);
  expect(Math.max(...end.queuedAfterWrite)).toBeLessThanOrEqual(limit + end.writes[cut].length + CLOSE_FRAME.length);
  return cut;
}

function expectConsecutive(frames: string[]): void {
  const ids = frames.map((frame) => (JSON.parse(frame) as TopicFrame).id);
  expect(ids).toEqual(ids.map((_, i) => ids[0] + i));
}

/** Resolves once `reader` has received `count` frames. */
async function framesOf(reader: SlowReader, count: number): Promise<string[]> {
  await waitFor(() => reader.frames.length >= count, { timeoutMs: FRAME_TIMEOUT_MS, what: `${count} frames` });
  return reader.frames;
}

/** Proves `reader` is open and nothing more was queued for it: `ping` is answered in order. */
async function expectOpenAndDone(reader: SlowReader, count: number): Promise<void> {
  reader.socket.send('ping');
  expect((await framesOf(reader, count + 1))[count]).toBe('pong');
}

describe('slow consumers', () => {
  const sockets = new Sockets();
  const readers: SlowReader[] = [];
  let byDefault: Setup;
  let small: Setup;

  async function slowReader(setup: Setup, query = ''): Promise<{ slow: SlowReader; end: ServerEnd }> {
    const slow = await SlowReader.open(`${setup.server.ws}/socket/all${query}`, setup.token);
    readers.push(slow);
    return { slow, end: setup.ends.of(slow) };
  }

  beforeAll(async () => {
    byDefault = await Setup.start({});
    small = await Setup.start({ WS_MAX_BUFFERED_BYTES: String(SMALL_LIMIT) });
  });

  afterEach(async () => {
    await Promise.all(readers.splice(0).map((reader) => reader.destroy()));
    await sockets.closeAll();
  });

  afterAll(async () => {
    await byDefault?.server.stop();
    await small?.server.stop();
  });

  test('by default (1 MiB) a paused reader is closed with 1013; a healthy one gets every frame, in order', async () => {
    const { server, token } = byDefault;
    const healthy = await sockets.connect(server, '/socket/all', { token });
    const { slow, end } = await slowReader(byDefault);
    const before = await byDefault.closes();

    const received = await byDefault.broadcastUntilCut(healthy);
    // At once: its close frame is behind the unread data, destroyed after SLOW_CONSUMER_CLOSE_MS.
    slow.resume();
    expect(await byDefault.closes()).toBe(before + 1);
    const cut = expectCutPast(end, DEFAULT_LIMIT);
    expect(end.queuedAfterWrite[cut - 1]).toBeGreaterThan(DEFAULT_LIMIT - BIG.length);

    // The fan-out goes on without it: the healthy reader gets each frame before the next is sent.
    for (let i = 0; i < 3; i += 1) received.push(await byDefault.broadcast(healthy, `after ${i}`));
    expect(Buffer.concat(end.writes.slice(cut + 1))).toEqual(CLOSE_FRAME);
    expectConsecutive(received);
    await healthy.expectNothingPending();

    // The slow reader got every frame written to it, up to the one that passed the limit, then 1013.
    expect(await withTimeout(slow.closed, FRAME_TIMEOUT_MS, 'the 1013')).toEqual({
      code: 1013,
      reason: 'slow consumer',
    });
    expect(slow.frames).toEqual(received.slice(0, -3));
    await waitFor(async () => (await groupCount(server, token, 'chat_all_data')) === 1, {
      timeoutMs: FRAME_TIMEOUT_MS,
      what: 'only the healthy reader in chat_all_data',
    });
  });

  test('a reader that never reads is destroyed SLOW_CONSUMER_CLOSE_MS after its 1013, its unsent data dropped', async () => {
    const { server, token } = small;
    const healthy = await sockets.connect(server, '/socket/all', { token });
    const { slow, end } = await slowReader(small);
    const received = await small.broadcastUntilCut(healthy);
    expectCutPast(end, SMALL_LIMIT);

    await withTimeout(end.closed, SLOW_CONSUMER_CLOSE_MS + FRAME_TIMEOUT_MS, 'the server to destroy it');
    // Not before the grace (less the timer's start, taken at the event-loop turn's beginning).
    expect(end.closedAt! - end.lastWriteAt).toBeGreaterThan(SLOW_CONSUMER_CLOSE_MS - 250);
    expect(end.socket.destroyed).toBe(true);
    await waitFor(async () => (await groupCount(server, token, 'chat_all_data')) === 1, {
      timeoutMs: FRAME_TIMEOUT_MS,
      what: 'only the healthy reader in chat_all_data',
    });

    // Read now: what the kernel held, in order, then the end of the connection without a close frame.
    slow.resume();
    expect((await withTimeout(slow.closed, FRAME_TIMEOUT_MS, 'the end')).code).toBe(1006);
    expect(slow.frames.length).toBeLessThan(received.length);
    expect(slow.frames).toEqual(received.slice(0, slow.frames.length));
  });

  test('exactly WS_MAX_BUFFERED_BYTES unsent is kept: once it reads it gets every frame and stays open', async () => {
    const healthy = await sockets.connect(small.server, '/socket/all', { token: small.token });
    const { slow, end } = await slowReader(small);
    const before = await small.closes();

    const received = await small.fillTo(healthy, end, SMALL_LIMIT);
    expect(end.queuedAfterWrite[end.queuedAfterWrite.length - 1]).toBe(SMALL_LIMIT);
    expect(await small.closes()).toBe(before);

    slow.resume();
    expect(await framesOf(slow, received.length)).toEqual(received);
    await expectOpenAndDone(slow, received.length);
    expect(await small.closes()).toBe(before);
  });

  test('one byte past WS_MAX_BUFFERED_BYTES the reader is closed with 1013 by that write', async () => {
    const healthy = await sockets.connect(small.server, '/socket/all', { token: small.token });
    const { slow, end } = await slowReader(small);
    const before = await small.closes();

    const received = await small.fillTo(healthy, end, SMALL_LIMIT + 1);
    slow.resume();
    expect(await small.closes()).toBe(before + 1);
    const cut = expectCutPast(end, SMALL_LIMIT);
    expect(end.queuedAfterWrite[cut]).toBe(SMALL_LIMIT + 1);
    expect(await withTimeout(slow.closed, FRAME_TIMEOUT_MS, 'the 1013')).toEqual({
      code: 1013,
      reason: 'slow consumer',
    });
    expect(slow.frames).toEqual(received);
  });

  test('a resuming reader whose replay is larger than the limit is not cut while it reads it', async () => {
    const healthy = await sockets.connect(small.server, '/socket/all', { token: small.token });
    const since = (JSON.parse(await small.broadcast(healthy, 'before')) as TopicFrame).id;
    // HISTORY_SIZE (100) frames of 60 KB: a 6 MB replay, more than the kernel's buffers take.
    const history: string[] = [];
    for (let i = 0; i < 100; i += 1) history.push(await small.broadcast(healthy, BIG));
    const before = await small.closes();

    const { slow, end } = await slowReader(small, `?since=${since}`);
    // The case in point: the replay left more than the limit unsent at once.
    expect(end.queued).toBeGreaterThan(SMALL_LIMIT);
    const live = await small.broadcast(healthy, 'live');
    expect(end.queuedAfterWrite).toEqual([end.queued]);
    expect(await small.closes()).toBe(before);

    slow.resume();
    expect(await framesOf(slow, history.length + 1)).toEqual([...history, live]);
    await expectOpenAndDone(slow, history.length + 1);
    expect(await small.closes()).toBe(before);
  });
});
