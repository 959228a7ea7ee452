// The browser (and Node) client of the service: one socket per endpoint that reconnects by itself.
// It does what the seeds' frontend did by hand around its one global socket: switch on the frame's
// `type`, keep a text ping/pong heartbeat, reconnect when the socket drops. On top of that nothing
// is lost across a reconnect: it resumes with `since` (the last id it received), so the server
// replays what the socket missed, drops anything it already delivered, resends the messages the
// server has not acknowledged (with their `cid`, so the server keeps them once), and reports a
// gap, re-requesting every topic's snapshot, when the server no longer has what was missed. It
// tells a refused handshake from a server that is down (and stops retrying the former), asks the
// application for a fresh token when the server says the token expired, and spreads its retries
// with jittered exponential backoff.

import { describe, Dispatcher, type FrameHandler, type Handler } from './dispatch.js';
import { clearTimer, setTimer, type TimerHandle } from './env.js';
import { Heartbeat } from './heartbeat.js';
import { InboundRouter } from './inbound.js';
import { MessageSender } from './message-sender.js';
import { resolveOptions, type ResolvedOptions } from './options.js';
import { Reconnector } from './reconnect.js';
import { ResumeTracker } from './resume.js';
import { SnapshotRequests } from './snapshots.js';
import { TokenSource } from './token.js';
import { withQuery } from './url.js';
import type {
  ClientError,
  ConnectionState,
  ConnectOptions,
  FrameInfo,
  FrameOf,
  GapFrame,
  InboundFrame,
  OutgoingMessage,
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
  /** Bumped by every attempt and by close(): async work of an older generation is dropped. */
  private generation = 0;
  private connectTimer: TimerHandle | undefined;

  private readonly settings: ResolvedOptions;
  private readonly resume: ResumeTracker;
  private readonly snapshots: SnapshotRequests;
  private readonly messages: MessageSender;
  private readonly heartbeat: Heartbeat;
  private readonly reconnect: Reconnector;
  private readonly tokens: TokenSource;
  private readonly inbound: InboundRouter;
  private readonly dispatch = new Dispatcher();

  constructor(
    readonly url: string,
    options: ConnectOptions,
  ) {
    this.settings = resolveOptions(url, options);
    this.resume = new ResumeTracker(this.settings.since);
    this.snapshots = new SnapshotRequests(this.settings.snapshots);
    this.messages = new MessageSender(options.backoff, (text) => this.sendRaw(text));
    this.heartbeat = new Heartbeat({
      intervalMs: this.settings.heartbeatMs,
      timeoutMs: this.settings.pongTimeoutMs,
      ping: () => this.sendRaw('ping'),
      onDead: () => this.giveUpOnSocket(),
    });
    this.tokens = new TokenSource(options.token, options.getToken, this.settings.tokenRetries);
    this.reconnect = new Reconnector(
      this.settings,
      {
        state: () => this.current,
        setState: (next) => this.setState(next),
        reportError: (error) => this.dispatch.error(error),
        attempt: () => void this.attempt(),
        close: () => this.close(),
      },
      this.tokens,
    );
    this.inbound = new InboundRouter({
      resume: this.resume,
      heartbeat: this.heartbeat,
      messages: this.messages,
      dispatch: this.dispatch,
      gap: (frame) => this.handleGap(frame),
    });
  }

  get state(): ConnectionState {
    return this.current;
  }

  get lastId(): number | undefined {
    return this.resume.lastId;
  }

  get unacknowledged(): number {
    return this.messages.unacknowledged;
  }

  start(): void {
    void this.attempt();
  }

  on<T extends string>(type: T, handler: (frame: FrameOf<T>, info: FrameInfo) => void): Unsubscribe {
    // FrameOf<T> is what the server sends for `type`; the dispatcher only knows it has a `type`.
    this.dispatch.addTypeHandler(type, handler as unknown as FrameHandler<TypedFrame>);
    // A topic that gets its first handler while open needs its snapshot now, not after a drop.
    if (this.current === 'open') this.requestSnapshots();
    return () => this.off(type, handler);
  }

  off<T extends string>(type: T, handler: (frame: FrameOf<T>, info: FrameInfo) => void): void {
    // A topic nobody listens to any more is not kept up to date: a new handler needs a snapshot.
    if (this.dispatch.removeTypeHandler(type, handler as unknown as FrameHandler<TypedFrame>))
      this.snapshots.forget(type);
  }

  onFrame(handler: FrameHandler<InboundFrame>): Unsubscribe {
    return this.dispatch.onFrame(handler);
  }

  onGap(handler: Handler<GapFrame>): Unsubscribe {
    return this.dispatch.onGap(handler);
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

  sendMessage(message: OutgoingMessage): Promise<number> {
    if (this.current === 'closed') {
      const closed = Promise.reject(new Error('the client is closed'));
      closed.catch(() => undefined);
      return closed;
    }
    return this.messages.add(message, this.current === 'open');
  }

  close(): void {
    if (this.current !== 'closed') this.shutdown();
  }

  private async attempt(): Promise<void> {
    const generation = ++this.generation;
    let url: string;
    let socket: WebSocketLike;
    try {
      const value = await this.tokens.current();
      if (generation !== this.generation) return; // closed while the token was on its way
      // Read after the token: a frame may have arrived meanwhile.
      url = withQuery(this.url, value, this.resume.lastId);
      socket = new this.settings.WebSocket(url);
    } catch (cause) {
      if (generation === this.generation)
        this.reconnect.failed({ kind: 'unreachable', message: describe(cause), cause });
      return;
    }
    this.socket = socket;
    const resumed = this.resume.lastId !== undefined;
    let opened = false;
    socket.addEventListener('open', () => {
      if (this.socket !== socket) return;
      opened = true;
      this.handleOpen(resumed);
    });
    socket.addEventListener('message', (event) => {
      if (this.socket === socket) this.inbound.route(event.data);
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      this.detach();
      this.reconnect.dropped(opened, url, event.code);
    });
    // Every error is followed by a close event, handled there; the listener keeps `ws` from throwing.
    socket.addEventListener('error', () => undefined);
    this.connectTimer = setTimer(() => {
      if (this.socket !== socket || opened) return;
      this.detach();
      closeQuietly(socket, 1000, 'connect timeout');
      this.reconnect.dropped(false, url);
    }, this.settings.connectTimeoutMs);
  }

  /** `resumed`: the socket was opened with `since`, so the server replays what it missed. */
  private handleOpen(resumed: boolean): void {
    clearTimer(this.connectTimer);
    this.connectTimer = undefined;
    this.reconnect.opened();
    this.current = 'open';
    // Marks the end of the replay: the server answers it after writing the replay.
    this.resume.opened(this.sendRaw('ping'));
    // Without a replay, every topic's state may be behind: ask for all of them again. With one,
    // only topics that got their first handler while the socket was away (a gap asks for all).
    if (!resumed) this.snapshots.forgetAll();
    // Before the state handlers run, so one that adds a topic handler does not ask twice.
    this.requestSnapshots();
    this.messages.opened();
    this.heartbeat.start();
    this.dispatch.state('open');
  }

  /** Messages after `since` are lost to this socket: the state they would have changed is stale. */
  private handleGap(frame: GapFrame): void {
    this.snapshots.forgetAll();
    this.requestSnapshots();
    this.dispatch.gap(frame);
  }

  /** Asks for the snapshot of every topic with a handler that has none yet (on `/socket/all`). */
  private requestSnapshots(): void {
    this.snapshots.request(this.dispatch.types(), (frame) => this.send(frame));
  }

  /** The heartbeat found the socket dead: drop it without waiting for a close handshake. */
  private giveUpOnSocket(): void {
    const socket = this.socket;
    if (!socket) return;
    this.detach();
    closeQuietly(socket, CLOSE_NO_PONG, 'no pong');
    this.reconnect.dropped(true, '');
  }

  /** Forgets the socket: its later events are ignored, its timers cleared. */
  private detach(): void {
    this.socket = undefined;
    this.resume.dropped();
    this.heartbeat.stop();
    this.messages.dropped();
    clearTimer(this.connectTimer);
    this.connectTimer = undefined;
  }

  private shutdown(): void {
    this.generation += 1;
    this.reconnect.stop();
    const socket = this.socket;
    this.detach();
    if (socket) closeQuietly(socket, 1000, 'client closed');
    this.messages.failAll('the client was closed before the server acknowledged the message');
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

function closeQuietly(socket: WebSocketLike, code: number, reason: string): void {
  try {
    socket.close(code, reason);
  } catch {
    // Already closing or closed.
  }
}
