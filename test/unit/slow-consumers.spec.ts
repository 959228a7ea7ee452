import { Logger } from '@nestjs/common';
import { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import type { AuthUser } from '../../src/auth/user';
import { Metrics } from '../../src/metrics/metrics.service';
import { Peer } from '../../src/ws/peers/peer';
import { SLOW_CONSUMER_CLOSE_MS, SlowConsumers, type SlowConsumer } from '../../src/ws/peers/slow-consumers';
import { WriteHolds } from '../../src/ws/peers/write-holds';

/** The slow-consumer policy, and `Peer`'s one compare per write, without a socket. */

const LIMIT = 1024;
const user: AuthUser = { id: 'alice', roles: [] };

/** A connection that never sends on its own: its unsent bytes leave only when `flush` says so. */
class StuckConnection extends Duplex {
  private readonly pending: Array<() => void> = [];

  override _read(): void {
    // Nothing comes from the client in these tests.
  }

  override _write(_chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.pending.push(() => done());
  }

  /** Lets every queued byte leave, as a reader catching up would. */
  flush(): void {
    for (let guard = 0; guard < 10_000 && this.pending.length > 0; guard += 1) this.pending.shift()?.();
  }
}

/** The part of a `ws` WebSocket that `Peer` uses. */
class FakeSocket {
  readyState: number = WebSocket.OPEN;
  readonly closes: Array<[number, string | undefined]> = [];
  terminated = 0;

  close(code: number, reason?: string): void {
    this.closes.push([code, reason]);
    this.readyState = WebSocket.CLOSING;
  }

  terminate(): void {
    this.terminated += 1;
    this.readyState = WebSocket.CLOSED;
  }
}

async function closes(metrics: Metrics): Promise<number> {
  return (await metrics.slowConsumerCloses.get()).values[0]?.value ?? 0;
}

/** A peer on a stuck connection, with the limit at `LIMIT` bytes. */
function stuckPeer(metrics = new Metrics()): { peer: Peer; socket: FakeSocket; connection: StuckConnection } {
  const peer = new Peer('p1', user, {}, new WriteHolds(), new SlowConsumers(LIMIT, metrics));
  return { peer, socket: new FakeSocket(), connection: new StuckConnection() };
}

/** A text whose WebSocket frame (header included) is `bytes` long: 2 header bytes up to 125, else 4. */
function textOfFrameSize(bytes: number): string {
  return 'x'.repeat(bytes <= 127 ? bytes - 2 : bytes - 4);
}

/** A numbered group frame (as the layer delivers) whose WebSocket frame is `bytes` long. */
function numbered(id: number, bytes: number): Buffer {
  const bare = `{"d":"","id":${id}}`;
  const payload = bytes <= 127 ? bytes - 2 : bytes - 4;
  return Buffer.from(`{"d":"${'x'.repeat(payload - bare.length)}","id":${id}}`);
}

describe('SlowConsumers', () => {
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('closes with 1013 "slow consumer", counts, logs, and terminates after SLOW_CONSUMER_CLOSE_MS', async () => {
    jest.useFakeTimers();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const metrics = new Metrics();
    const policy = new SlowConsumers(LIMIT, metrics);
    const socket = new FakeSocket();
    const peer: SlowConsumer = {
      id: 'p7',
      userId: 'bob',
      close: (code, reason) => socket.close(code, reason),
      terminate: () => socket.terminate(),
    };

    policy.cut(peer, LIMIT + 1);

    expect(socket.closes).toEqual([[1013, 'slow consumer']]);
    expect(await closes(metrics)).toBe(1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toEqual(expect.stringMatching(/p7 \(user bob\).*1025 bytes unsent, over 1024/));
    jest.advanceTimersByTime(SLOW_CONSUMER_CLOSE_MS - 1);
    expect(socket.terminated).toBe(0);
    jest.advanceTimersByTime(1);
    expect(socket.terminated).toBe(1);
  });
});

describe('Peer and WS_MAX_BUFFERED_BYTES', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('keeps a peer with exactly the limit unsent, and cuts it at the next byte', async () => {
    const metrics = new Metrics();
    const { peer, socket, connection } = stuckPeer(metrics);
    peer.attach(socket as unknown as WebSocket, connection);
    peer.sendText(textOfFrameSize(1000));
    peer.sendText(textOfFrameSize(LIMIT - 1000));
    expect(connection.writableLength).toBe(LIMIT);
    expect(socket.closes).toEqual([]);

    peer.sendText(textOfFrameSize(2));
    expect(socket.closes).toEqual([[1013, 'slow consumer']]);
    expect(await closes(metrics)).toBe(1);
  });

  it('cuts a peer whose write takes it one byte past the limit, and writes nothing to it after', async () => {
    const metrics = new Metrics();
    const { peer, socket, connection } = stuckPeer(metrics);
    peer.attach(socket as unknown as WebSocket, connection);
    peer.sendText(textOfFrameSize(1000));
    peer.deliver(numbered(1, LIMIT + 1 - 1000));
    expect(connection.writableLength).toBe(LIMIT + 1);
    expect(socket.closes).toEqual([[1013, 'slow consumer']]);

    peer.deliver(numbered(2, 100));
    peer.sendText('pong');
    expect(connection.writableLength).toBe(LIMIT + 1);
    expect(await closes(metrics)).toBe(1);
  });

  it('lets an attach replay pass the limit, and applies the limit again once the replay has left', async () => {
    const metrics = new Metrics();
    const { peer, socket, connection } = stuckPeer(metrics);
    const replay = [numbered(1, 900), numbered(2, 900), numbered(3, 900)];
    peer.resume({ gap: null, frames: replay, through: 3 });
    peer.attach(socket as unknown as WebSocket, connection);
    expect(connection.writableLength).toBe(2700);
    // Live frames may queue up to the limit on top of what the replay left.
    peer.deliver(numbered(4, LIMIT));
    expect(connection.writableLength).toBe(2700 + LIMIT);
    expect(socket.closes).toEqual([]);

    connection.flush();
    expect(connection.writableLength).toBe(0);
    peer.deliver(numbered(5, LIMIT));
    expect(socket.closes).toEqual([]);
    peer.deliver(numbered(6, 200));
    expect(socket.closes).toEqual([[1013, 'slow consumer']]);
    expect(await closes(metrics)).toBe(1);
  });

  it('cuts a resuming peer whose live frames pass the limit on top of its replay', async () => {
    const { peer, socket, connection } = stuckPeer();
    peer.resume({ gap: null, frames: [numbered(1, 3000)], through: 1 });
    peer.attach(socket as unknown as WebSocket, connection);
    peer.deliver(numbered(2, LIMIT));
    expect(socket.closes).toEqual([]);
    peer.deliver(numbered(3, 100));
    expect(connection.writableLength).toBe(3000 + LIMIT + 100);
    expect(socket.closes).toEqual([[1013, 'slow consumer']]);
  });
});
