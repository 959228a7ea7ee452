// The browser (and Node) client of the service: one socket per endpoint that reconnects by itself.
// It does what the seeds' frontend did by hand around its one global socket: switch on the frame's
// `type`, keep a text ping/pong heartbeat, reconnect when the socket drops. On top of that it
// re-requests every topic's snapshot after each reconnect (so a page never shows data from before
// a drop), tells a refused handshake from a server that is down (and stops retrying the former),
// and spreads its retries with jittered exponential backoff.

import { describe, Dispatcher, type Handler } from './dispatch.js';
import { clearTimer, setTimer, type TimerHandle } from './env.js';
import { Heartbeat } from './heartbeat.js';
import { resolveOptions, type ResolvedOptions } from './options.js';
import { probe, type PendingProbe } from './probe.js';
import { withToken } from './url.js';
import type {
  ClientError,
  ConnectionState,
  ConnectOptions,
  FrameOf,
  InboundFrame,
  RealtimeClient,
  TypedFrame,
  Unsubscribe,
  WebSocketLike,
} from './types.js';

export type * from './types.js';
export { Backoff } from './backoff.js';

/** `readyState` of an open socket, the same in browsers and in `ws`. */
const OPEN = 1;
/** Close code for a socket the heartbeat gave up on (4000–4999 are the application's). */
const CLOSE_NO_PONG = 4000;

/**
 * Opens `url` (the full ws(s) URL of one endpoint) and keeps it open until `close()`. Returns at
 * once in state `connecting`; register handlers right away, nothing arrives before the next tick.
 * Throws a TypeError for a URL that is not ws(s) or when there is no WebSocket class to use.
 */
export function connect(url: string, options: ConnectOptions): RealtimeClient {
  const client = new Client(url, options);
  client.start();
  return client;
}

class Client implements RealtimeClient {
  private current: ConnectionState = 'connecting';
  private socket: WebSocketLike | undefined;
  private openedAt = 0;
  /** Bumped by every attempt and by close(): async work of an older generation is dropped. */
  private generation = 0;
  private retryTimer: TimerHandle | undefined;
  private connectTimer: TimerHandle | undefined;
  private pendingProbe: PendingProbe | undefined;
  /** `unreachable` is reported once per outage; an open ends the outage. */
  private outageReported = false;

  private readonly settings: ResolvedOptions;
  private readonly heartbeat: Heartbeat;
  private readonly dispatch = new Dispatcher();

  constructor(
    readonly url: string,
    private readonly options: ConnectOptions,
  ) {
    this.settings = resolveOptions(url, options);
    this.heartbeat = new Heartbeat({
      intervalMs: this.settings.heartbeatMs,
      timeoutMs: this.settings.pongTimeoutMs,
      ping: () => this.sendRaw('ping'),
      onDead: () => this.giveUpOnSocket(),
    });
  }

  get state(): ConnectionState {
    return this.current;
  }

  start(): void {
    void this.attempt();
  }

  on<T extends string>(type: T, handler: (frame: FrameOf<T>) => void): Unsubscribe {
    // FrameOf<T> is what the server sends for `type`; the dispatcher only knows it has a `type`.
    const first = this.dispatch.addTypeHandler(type, handler as unknown as Handler<TypedFrame>);
    // A topic that gets its first handler while open needs its snapshot now, not after a drop.
    if (first && this.settings.snapshots && this.current === 'open' && isTopic(type)) this.send({ type });
    return () => this.off(type, handler);
  }

  off<T extends string>(type: T, handler: (frame: FrameOf<T>) => void): void {
    this.dispatch.removeTypeHandler(type, handler as unknown as Handler<TypedFrame>);
  }

  onFrame(handler: Handler<InboundFrame>): Unsubscribe {
    return this.dispatch.onFrame(handler);
  }

  onState(handler: Handler<ConnectionState>): Unsubscribe {
    return this.dispatch.onState(handler);
  }

  onError(handler: Handler<ClientError>): Unsubscribe {
    return this.dispatch.onError(handler);
  }

  send(frame: object | string): boolean {
    return this.sendRaw(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  close(): void {
    if (this.current !== 'closed') this.shutdown();
  }

  private async attempt(): Promise<void> {
    const generation = ++this.generation;
    let url: string;
    let socket: WebSocketLike;
    try {
      const { token } = this.options;
      url = withToken(this.url, typeof token === 'function' ? await token() : token);
      if (generation !== this.generation) return; // closed while the token was on its way
      socket = new this.settings.WebSocket(url);
    } catch (cause) {
      if (generation === this.generation)
        this.retryAfterFailure({ kind: 'unreachable', message: describe(cause), cause });
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.addEventListener('open', () => {
      if (this.socket !== socket) return;
      opened = true;
      this.handleOpen();
    });
    socket.addEventListener('message', (event) => {
      if (this.socket === socket) this.handleMessage(event.data);
    });
    socket.addEventListener('close', () => {
      if (this.socket !== socket) return;
      this.detach();
      this.handleDrop(opened, url);
    });
    // Every error is followed by a close event, handled there; the listener keeps `ws` from throwing.
    socket.addEventListener('error', () => undefined);
    this.connectTimer = setTimer(() => {
      if (this.socket !== socket || opened) return;
      this.detach();
      closeQuietly(socket, 1000, 'connect timeout');
      this.handleDrop(false, url);
    }, this.settings.connectTimeoutMs);
  }

  private handleOpen(): void {
    clearTimer(this.connectTimer);
    this.connectTimer = undefined;
    this.openedAt = Date.now();
    this.outageReported = false;
    this.current = 'open';
    // Before the state handlers run, so one that adds a topic handler does not ask twice.
    if (this.settings.snapshots) for (const type of this.dispatch.types().filter(isTopic)) this.send({ type });
    this.heartbeat.start();
    this.dispatch.state('open');
  }

  private handleMessage(data: unknown): void {
    if (data === 'pong') this.heartbeat.pong();
    else if (typeof data === 'string') this.dispatch.text(data);
    else this.dispatch.error({ kind: 'frame', message: 'a binary frame was dropped' });
  }

  /** The socket closed (or was given up on), already detached. */
  private handleDrop(opened: boolean, url: string): void {
    if (this.current === 'closed') return;
    if (opened) {
      if (Date.now() - this.openedAt >= this.settings.resetAfterMs) this.settings.backoff.reset();
      this.setState('reconnecting');
      this.scheduleRetry();
      return;
    }
    void this.diagnose(url);
  }

  /** Closed without ever opening: refused (stop) or unreachable (retry)? Asks the server. */
  private async diagnose(url: string): Promise<void> {
    const generation = this.generation;
    const pending = probe(url, this.settings.probeTimeoutMs);
    this.pendingProbe = pending;
    const verdict = await pending.verdict;
    if (generation !== this.generation) return; // closed meanwhile
    this.pendingProbe = undefined;
    if (verdict.refused) {
      this.dispatch.error({ kind: 'refused', status: verdict.status, message: verdict.message });
      this.close();
    } else {
      const { status, message, cause } = verdict;
      this.retryAfterFailure({ kind: 'unreachable', message, ...(status === undefined ? {} : { status }), cause });
    }
  }

  private retryAfterFailure(error: ClientError): void {
    if (!this.outageReported) {
      this.outageReported = true;
      this.dispatch.error(error);
    }
    this.setState('reconnecting');
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.current === 'closed') return; // a handler may have closed the client
    clearTimer(this.retryTimer);
    this.retryTimer = setTimer(() => {
      this.retryTimer = undefined;
      void this.attempt();
    }, this.settings.backoff.next());
  }

  /** The heartbeat found the socket dead: drop it without waiting for a close handshake. */
  private giveUpOnSocket(): void {
    const socket = this.socket;
    if (!socket) return;
    this.detach();
    closeQuietly(socket, CLOSE_NO_PONG, 'no pong');
    this.handleDrop(true, '');
  }

  /** Forgets the socket: its later events are ignored, its timers cleared. */
  private detach(): void {
    this.socket = undefined;
    this.heartbeat.stop();
    clearTimer(this.connectTimer);
    this.connectTimer = undefined;
  }

  private shutdown(): void {
    this.generation += 1;
    clearTimer(this.retryTimer);
    this.retryTimer = undefined;
    this.pendingProbe?.cancel();
    this.pendingProbe = undefined;
    const socket = this.socket;
    this.detach();
    if (socket) closeQuietly(socket, 1000, 'client closed');
    this.setState('closed');
  }

  private sendRaw(text: string): boolean {
    const socket = this.socket;
    if (this.current !== 'open' || !socket || socket.readyState !== OPEN) return false;
    try {
      socket.send(text);
      return true;
    } catch {
      return false; // closing under our feet: the close event follows
    }
  }

  private setState(next: ConnectionState): void {
    if (this.current === next) return;
    this.current = next;
    this.dispatch.state(next);
  }
}

/** Topics are the `type`s that are not replies of their own (`ack`, `error`). */
function isTopic(type: string): boolean {
  return type !== 'ack' && type !== 'error';
}

function closeQuietly(socket: WebSocketLike, code: number, reason: string): void {
  try {
    socket.close(code, reason);
  } catch {
    // Already closing or closed.
  }
}
