import { createServer, type AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import {
  connect,
  type ClientError,
  type ConnectionState,
  type ConnectOptions,
  type FrameInfo,
  type InboundFrame,
  type RealtimeClient,
  type WebSocketConstructor,
} from '../../client/src/realtime-client';
import { Instance } from '../support/instance';
import { TEST_SECRET } from '../support/tokens';
import { withTimeout } from '../support/wait';

/** Bounded waits of these suites: long enough for a loaded CI machine, short enough to fail fast. */
export const WAIT_MS = 5000;

/** A `ws` socket as the client made it, with the text frames it received. */
type RecordedSocket = WebSocket & { readonly received: string[] };

/**
 * A `ws` WebSocket class to pass as the client's `WebSocket` option: a subclass, so the client
 * drives the real thing, that counts every socket the client made (each handshake attempt) and
 * keeps what each received (a `pong` proves the client sent a `ping`).
 */
class SocketLog {
  readonly sockets: RecordedSocket[] = [];
  readonly WebSocket: WebSocketConstructor;

  constructor() {
    const sockets = this.sockets;
    this.WebSocket = class Recorded extends WebSocket {
      readonly received: string[] = [];
      constructor(url: string) {
        super(url);
        sockets.push(this);
        this.on('message', (data: Buffer, isBinary) => {
          if (!isBinary) this.received.push(data.toString());
        });
      }
    };
  }

  /** Handshake attempts so far. */
  get attempts(): number {
    return this.sockets.length;
  }

  /** Sockets not yet fully closed. */
  get live(): number {
    return this.sockets.filter((socket) => socket.readyState !== WebSocket.CLOSED).length;
  }

  /** Waits until every socket the client made is closed, so no TCP handle outlives a test. */
  async allClosed(timeoutMs = WAIT_MS): Promise<void> {
    const open = this.sockets.filter((socket) => socket.readyState !== WebSocket.CLOSED);
    const closed = open.map((socket) => new Promise((resolve) => socket.once('close', resolve)));
    await withTimeout(Promise.all(closed), timeoutMs, 'every client socket to close');
  }
}

/** A value queue: tests await the next item with a bound instead of sleeping. */
export class Queue<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<(item: T) => void> = [];

  readonly push = (item: T): void => {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  };

  get size(): number {
    return this.items.length;
  }

  next(timeoutMs = WAIT_MS, what = 'the next item'): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    let waiter: (item: T) => void = () => undefined;
    const next = new Promise<T>((resolve) => (waiter = resolve));
    this.waiters.push(waiter);
    return withTimeout(next, timeoutMs, what).finally(() => {
      const index = this.waiters.indexOf(waiter);
      if (index >= 0) this.waiters.splice(index, 1);
    });
  }
}

/** Records a client's state changes and errors, and awaits conditions on them as they happen. */
export class Watch {
  readonly states: ConnectionState[] = [];
  readonly errors: ClientError[] = [];
  private readonly checks = new Set<() => void>();

  constructor(readonly client: RealtimeClient) {
    client.onState((state) => {
      this.states.push(state);
      this.recheck();
    });
    client.onError((error) => {
      this.errors.push(error);
      this.recheck();
    });
  }

  /** Resolves once `client.state` is `state` (at once if it already is). */
  state(state: ConnectionState, timeoutMs = WAIT_MS): Promise<void> {
    return this.until(() => this.client.state === state, timeoutMs, `state ${state} (now ${this.client.state})`);
  }

  /** Resolves with the first error (already seen or to come) of that kind. */
  async error(kind: ClientError['kind'], timeoutMs = WAIT_MS): Promise<ClientError> {
    const find = (): ClientError | undefined => this.errors.find((error) => error.kind === kind);
    await this.until(() => find() !== undefined, timeoutMs, `a ${kind} error`);
    return find() as ClientError;
  }

  errorsOf(kind: ClientError['kind']): ClientError[] {
    return this.errors.filter((error) => error.kind === kind);
  }

  private until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (condition()) return Promise.resolve();
    let check: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => {
      check = () => {
        if (condition()) resolve();
      };
    });
    this.checks.add(check);
    return withTimeout(reached, timeoutMs, what).finally(() => this.checks.delete(check));
  }

  private recheck(): void {
    for (const check of [...this.checks]) check();
  }
}

/** A frame as the application got it, with how it arrived. */
export type ReceivedFrame = { frame: InboundFrame; replayed: boolean };

/** Every frame `client` hands to its `onFrame` handlers from now on, with how it arrived. */
export function receivedFrames(client: RealtimeClient): Queue<ReceivedFrame> {
  const received = new Queue<ReceivedFrame>();
  client.onFrame((frame: InboundFrame, info: FrameInfo) => received.push({ frame, replayed: info.replayed }));
  return received;
}

/**
 * The clients a suite opens, and what each test checks after them: every client closed, every
 * socket it made closed, and no timer of the client left pending. Call `setUp()` last in
 * `beforeEach` and `tearDown()` in `afterEach`.
 */
export class TestClients {
  /** The sockets of the current test's clients; a new log for every test. */
  log = new SocketLog();
  readonly timers = new ClientTimers();
  private readonly clients: RealtimeClient[] = [];

  /** `defaults`: the options every client of the suite gets unless `open` says otherwise. */
  constructor(private readonly defaults: Partial<ConnectOptions> = {}) {}

  setUp(): void {
    this.log = new SocketLog();
    this.timers.install();
  }

  /** A client on `url` through the recording WebSocket, with the suite's defaults. */
  open(url: string, options: Partial<ConnectOptions> & Pick<ConnectOptions, 'token'>) {
    const client = connect(url, { WebSocket: this.log.WebSocket, ...this.defaults, ...options });
    this.clients.push(client);
    return { client, watch: new Watch(client) };
  }

  /** Closes every client, waits for their sockets to close, then runs `stopServers` whatever happened. */
  async tearDown(stopServers: () => Promise<unknown>): Promise<void> {
    this.clients.splice(0).forEach((client) => client.close());
    const left = this.timers.pending;
    this.timers.uninstall();
    try {
      await this.log.allClosed();
    } finally {
      await stopServers();
    }
    expect(left).toBe(0); // close() clears every timer of the client, whatever state it was in
  }
}

/** An instance of the service with the test secret, on `port` (0: a free one). */
export function startInstance(port = 0): Promise<Instance> {
  return Instance.start({ PORT: String(port), JWT_SECRET: TEST_SECRET });
}

export function portOf(instance: Instance): number {
  return Number(new URL(instance.http).port);
}

/** A port of 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A bare `ws` server that accepts every connection (unless `verifyClient` says no: then it
 * refuses with 401, and a plain GET gets ws's 426) and runs `onConnection` on it, and otherwise
 * stays silent: it never answers the text `ping` (a dead peer, as far as the client can tell).
 */
export class BareServer {
  readonly connections = new Queue<WebSocket>();
  count = 0;

  private constructor(
    private readonly server: WebSocketServer,
    readonly url: string,
  ) {}

  static async start(
    onConnection: (socket: WebSocket) => void = () => undefined,
    options: { verifyClient?: () => boolean } = {},
  ): Promise<BareServer> {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const bare = new BareServer(server, `ws://127.0.0.1:${port}/socket/all`);
    server.on('connection', (socket) => {
      bare.count += 1;
      onConnection(socket);
      bare.connections.push(socket);
    });
    return bare;
  }

  async stop(): Promise<void> {
    for (const socket of this.server.clients) socket.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The client's own pending timers. While installed, `globalThis.setTimeout` and `clearTimeout`
 * are the real ones plus bookkeeping: a timer created from client/src is pending until it fires
 * or is cleared. The client reads its timers from `globalThis` on every use, so this sees them
 * all; timers of other code (ws, the server) are left out by their caller.
 */
class ClientTimers {
  private readonly pendingTimers = new Set<unknown>();
  private restore: (() => void) | undefined;

  get pending(): number {
    return this.pendingTimers.size;
  }

  install(): void {
    const realSet = globalThis.setTimeout;
    const realClear = globalThis.clearTimeout;
    const pending = this.pendingTimers;
    const tracked = (callback: () => void, ms?: number): NodeJS.Timeout => {
      // The caller (the stack's third line, after "Error" and this function) is the client's own code.
      const caller = (new Error().stack ?? '').split('\n')[2] ?? '';
      const fromClient = /[\\/]client[\\/]src[\\/]/.test(caller);
      const handle = realSet(() => {
        pending.delete(handle);
        callback();
      }, ms);
      if (fromClient) pending.add(handle);
      return handle;
    };
    const untracked = (handle?: NodeJS.Timeout | string | number): void => {
      pending.delete(handle);
      realClear(handle);
    };
    globalThis.setTimeout = tracked as unknown as typeof setTimeout;
    globalThis.clearTimeout = untracked;
    this.restore = () => {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
    };
  }

  uninstall(): void {
    this.restore?.();
    this.restore = undefined;
    this.pendingTimers.clear();
  }
}
