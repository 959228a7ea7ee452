import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { withTimeout } from './wait';

const OPEN_TIMEOUT_MS = 5000;

/**
 * A real `ws` client that completes the handshake and then stops reading: its TCP connection is
 * paused, so what the server sends fills the kernel's buffers and then the server's own. Node
 * cannot shrink a TCP socket's receive buffer, so the kernel takes its share first (a few
 * hundred KiB to a few MiB on loopback). `resume()` reads again; everything received is kept.
 */
export class SlowReader {
  /** Text frames received, in order (only after `resume`). */
  readonly frames: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The client end of the TCP connection; set at the upgrade. */
  private connection?: Socket;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.frames.push((data as Buffer).toString()));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /**
   * Opens `url` with `token` in the query. The connection is paused at the upgrade, before `ws`
   * starts reading it (an explicitly paused stream stays paused when `ws` adds its listener), so
   * not even frames that came with the 101 are read until `resume`.
   */
  static async open(url: string, token: string): Promise<SlowReader> {
    const target = new URL(url);
    target.searchParams.set('token', token);
    const reader = new SlowReader(new WebSocket(target.toString()));
    const { socket } = reader;
    socket.once('upgrade', (response: IncomingMessage) => {
      reader.connection = response.socket;
      reader.connection.pause();
    });
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
        socket.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
      }),
      OPEN_TIMEOUT_MS,
      'the slow reader to open',
    );
    return reader;
  }

  /** The client's local port: the server's end of this connection has it as `remotePort`. */
  get localPort(): number {
    return this.connection?.localPort ?? 0;
  }

  /** Reads again: frames queued in the kernel (and the close frame, if any) arrive. */
  resume(): void {
    this.connection?.resume();
  }

  /** Frames received so far, as JSON. */
  json<T = Record<string, unknown>>(): T[] {
    return this.frames.map((frame) => JSON.parse(frame) as T);
  }

  /** Cuts the connection (a test's cleanup); resolves once it is closed. */
  async destroy(): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.terminate();
    await this.closed;
  }
}

/**
 * The server's end of a connection, watched from inside the process (the instance runs in the
 * test's): the bytes of every write to it, and its unsent bytes right after each, which is the
 * figure the server compares with `WS_MAX_BUFFERED_BYTES`.
 */
export class ServerEnd {
  /** `writableLength` right after each write, in order. */
  readonly queuedAfterWrite: number[] = [];
  readonly writes: Buffer[] = [];
  /** When the last write was made (`performance.now()`). */
  lastWriteAt = 0;
  /** When the connection closed (`performance.now()`), once it has. */
  closedAt?: number;
  readonly closed: Promise<void>;

  constructor(readonly socket: Socket) {
    const write = socket.write.bind(socket) as (chunk: Buffer, callback?: (error?: Error | null) => void) => boolean;
    const watched = (chunk: Buffer, callback?: (error?: Error | null) => void): boolean => {
      const ok = write(chunk, callback);
      this.writes.push(chunk);
      this.queuedAfterWrite.push(socket.writableLength);
      this.lastWriteAt = performance.now();
      return ok;
    };
    socket.write = watched as Socket['write'];
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedAt = performance.now();
        resolve();
      }),
    );
  }

  /** Unsent bytes now. */
  get queued(): number {
    return this.socket.writableLength;
  }
}

/** Every TCP connection an HTTP server accepts, to find the server's end of a client's. */
export class ServerEnds {
  private readonly accepted: Socket[] = [];

  constructor(server: { on(event: 'connection', listener: (socket: Socket) => void): unknown }) {
    server.on('connection', (socket) => this.accepted.push(socket));
  }

  /** The server's end of `reader`'s connection, watched from now on. */
  of(reader: SlowReader): ServerEnd {
    const socket = this.accepted.find((candidate) => candidate.remotePort === reader.localPort);
    if (!socket) throw new Error(`no accepted connection from port ${reader.localPort}`);
    return new ServerEnd(socket);
  }
}
