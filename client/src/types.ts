// The client's public types. The frames themselves come from the server's wire module
// (src/wire/frames.ts), type-only, so the client and the server cannot drift; the build inlines
// them into the package's index.d.ts. Kept free of the DOM and Node libraries so the same source
// type-checks in a browser build and in Node tests.

import type { AckFrame, ErrorFrame, GapFrame, TopicData } from '../../src/wire/frames.js';

export type {
  AckFrame,
  BroadcastFrame,
  ChatFrame,
  ChatMessage,
  ErrorCode,
  ErrorFrame,
  GapFrame,
  JsonValue,
  PushFrame,
  RoomFrame,
  RoomMessage,
  TopicData,
} from '../../src/wire/frames.js';

/**
 * The topics of `/socket/all` and their payloads. An interface (not a type) so an application
 * can add its own topics by declaration merging:
 * `declare module '@nest-realtime/client' { interface TopicMap { my_topic: MyData } }`.
 */
export interface TopicMap {
  all_patient_page_data: TopicData;
  all_active_visit_data: TopicData;
}

/**
 * A topic frame as the client types it (the wire's `TopicFrame`, with `type` and `data` narrowed
 * by `TopicMap`): the snapshot reply to `{"type": topic}` has no `id` (and `data: null` before the
 * first notify); a broadcast has the group's increasing `id`.
 */
export interface TopicFrame<K extends keyof TopicMap = keyof TopicMap> {
  type: K;
  data: TopicMap[K] | null;
  id?: number;
}

/** Any inbound frame: a JSON object. Narrow it with the frame types above. */
export type InboundFrame = { readonly [key: string]: unknown };

/** An inbound frame with a string `type`, for types the client knows nothing about. */
export type TypedFrame = InboundFrame & { readonly type: string };

/** The frame a handler of `on(type)` receives: typed for known topics, `ack`, `error` and `gap`. */
export type FrameOf<T extends string> = T extends keyof TopicMap
  ? TopicFrame<T>
  : T extends 'ack'
    ? AckFrame
    : T extends 'error'
      ? ErrorFrame
      : T extends 'gap'
        ? GapFrame
        : TypedFrame;

/** How a frame reached the application; the second argument of `on()` and `onFrame()` handlers. */
export interface FrameInfo {
  /**
   * True for a numbered frame that the server sent as soon as the socket opened, before live
   * frames: the replay after a reconnect with `since` (sent while the socket was away, caught up
   * now), or on `/push/:username` the pushes that waited for the user. False for everything else.
   */
  readonly replayed: boolean;
}

/** A chat or room message for `sendMessage()`: `message` and any other field of the frame. */
export interface OutgoingMessage {
  message: string;
  /** The idempotency key (1–64 characters); the client makes a random one when it is missing. */
  cid?: string;
  [field: string]: unknown;
}

/**
 * Why a `sendMessage()` promise rejected: `code` is the error frame's code when the server
 * refused the frame for good (400 and the other 4xx but 408 and 429), undefined when the client
 * was closed before the ack came.
 */
export interface SendError extends Error {
  readonly cid: string;
  readonly code?: number;
}

/**
 * `connecting`: the first attempt; `open`: frames flow; `reconnecting`: dropped or never opened,
 * the next attempt is scheduled; `closed`: `close()` was called or the handshake was refused.
 */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/**
 * `refused`: the server refused the handshake (`status` 400, 401, 403 or 404; a 401 only when
 * there is no `getToken` nor `token` function to ask for a fresh token); the client is closed.
 * `token`: the token expired (close 4001) or was refused (401) and no fresh one came: there is no
 * `getToken` (nor `token` function) to ask, or it failed or gave refused tokens `tokenRetries`
 * times in a row; the client is closed.
 * `unreachable`: no connection and the server is down or answers something else; the client keeps
 * trying (reported once per outage). `frame`: an inbound frame was not a JSON object; it was dropped.
 * `handler`: one of your handlers threw; the others still ran. `limited`: the server refused a
 * frame this socket sent because it sends too fast (an error frame with code 429, `status` 429);
 * the socket stays open, a `sendMessage()` is sent again after a backoff, anything sent with
 * `send()` is lost. A socket that keeps it up for 10 s is closed (1008) and reconnects.
 */
export type ClientErrorKind = 'refused' | 'token' | 'unreachable' | 'frame' | 'handler' | 'limited';

export interface ClientError {
  kind: ClientErrorKind;
  /**
   * The HTTP status of a refused handshake (`refused`, and `token` after a 401), what the probe
   * got (`unreachable`), or 429 (`limited`).
   */
  status?: number;
  /** `token` after the server closed the socket: its close code, 4001. */
  code?: number;
  message: string;
  /** The exception behind the error, if there was one. */
  cause?: unknown;
}

/** Removes the handler it was returned for. */
export type Unsubscribe = () => void;

export interface BackoffOptions {
  /** First delay, in ms (default 500). */
  initialMs?: number;
  /** Largest delay, in ms (default 15000). */
  maxMs?: number;
  /** Each delay is the previous one times this (default 2). */
  factor?: number;
  /** Up to this fraction of a delay is taken off at random (default 0.5), so clients spread out. */
  jitter?: number;
  /** A connection that stayed open this long (ms, default 5000) starts the sequence again. */
  resetAfterMs?: number;
}

/** The event a socket passes to `message` listeners: `data` is a string for a text frame. */
export interface MessageEventLike {
  readonly data: unknown;
}

/** The event a socket passes to `close` listeners: the server's close code (4001: token expired). */
export interface CloseEventLike {
  readonly code: number;
}

/**
 * The part of the WebSocket API the client uses, satisfied by browsers' `WebSocket` and by the
 * `ws` package's. Declared here because the client compiles without the DOM library.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: MessageEventLike) => void): void;
  addEventListener(type: 'close', listener: (event: CloseEventLike) => void): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface ConnectOptions {
  /** Sent as the `token` query parameter; a function is called again before every attempt. */
  token: string | (() => string | Promise<string>);
  /**
   * Asked for a fresh token when the server says the current one is no good: it closed the socket
   * with 4001 (the token's `exp` passed) or refused the handshake with 401. The client reconnects
   * with what it returns (from then on; with a `token` function, for that attempt). Default: a
   * `token` function is asked; without either, the client stops with an error of kind `token`
   * (after a 4001) or `refused` (after a 401).
   */
  getToken?: () => string | Promise<string>;
  /**
   * How many times in a row getToken may fail (throw, reject, or give a token the server refuses
   * with 401) before the client stops with an error of kind `token` (default 3). An open starts
   * the count again.
   */
  tokenRetries?: number;
  /** The WebSocket class (default `globalThis.WebSocket`; in Node 20 pass `ws`'s). */
  WebSocket?: WebSocketConstructor;
  /** Send the text `ping` this often while open, in ms (default 10000; 0 turns the heartbeat off). */
  heartbeatMs?: number;
  /** No `pong` this long after a `ping` (ms, default heartbeatMs) → the socket is dead: reconnect. */
  pongTimeoutMs?: number;
  /** An attempt that has not opened after this long (ms, default 10000) is abandoned. */
  connectTimeoutMs?: number;
  /** How long the refusal probe (a plain GET on the same URL) may take, in ms (default 5000). */
  probeTimeoutMs?: number;
  backoff?: BackoffOptions;
  /**
   * Send `{"type": topic}` for every topic with an `on(topic)` handler: on the first open, when a
   * topic gets its first handler, on an open that could not resume (no id to resume from), and
   * after a gap. A reconnect that resumes with `since` gets what it missed in the replay instead.
   * Default: true when the URL path is `/socket/all`.
   */
  snapshots?: boolean;
  /**
   * The id to resume from on the first connect (a decimal `since` in the URL counts the same):
   * the server replays every message after it. Default: none, the socket starts live (on
   * `/push/:username`, with the pushes that waited for the user). Later reconnects always resume
   * from the last id received.
   */
  since?: number;
}

export interface RealtimeClient {
  readonly state: ConnectionState;
  readonly url: string;
  /**
   * The id of the last numbered frame (broadcast, push, chat or room message) delivered on this
   * client, the next reconnect's `since`; undefined until the first one. Frames at or below it are
   * dropped: the application never gets one twice.
   */
  readonly lastId: number | undefined;
  /** Messages of `sendMessage()` not acknowledged yet (they are resent after each reconnect). */
  readonly unacknowledged: number;
  /** Frames whose `type` is `type`; for a topic, both snapshot replies and broadcasts. */
  on<T extends string>(type: T, handler: (frame: FrameOf<T>, info: FrameInfo) => void): Unsubscribe;
  off<T extends string>(type: T, handler: (frame: FrameOf<T>, info: FrameInfo) => void): void;
  /** Every parsed inbound frame (chat, push and room frames have no `type`). */
  onFrame(handler: (frame: InboundFrame, info: FrameInfo) => void): Unsubscribe;
  /** A gap after a reconnect: messages were missed that the server no longer has. */
  onGap(handler: (frame: GapFrame) => void): Unsubscribe;
  onState(handler: (state: ConnectionState) => void): Unsubscribe;
  onError(handler: (error: ClientError) => void): Unsubscribe;
  /** Sends an object as JSON, or a string as is; false (and nothing sent) unless open. */
  send(frame: object | string): boolean;
  /**
   * Sends a chat or room message with a `cid` and keeps it until the server acknowledges it,
   * resending it (same `cid`) after every reconnect; the server delivers it once. Resolves with
   * the message's id; rejects with a `SendError` if the server refuses it or the client is closed
   * first. While the socket is not open the message waits and goes out on the next open. On a
   * socket where you use it, send chat and room messages only with it: acks are matched in order.
   */
  sendMessage(message: OutgoingMessage): Promise<number>;
  /** Closes for good: no reconnect, every timer cleared, state `closed`; pending `sendMessage()`s reject. */
  close(): void;
}
