// The wire types of the service (CONTRACT.md v1) and the client's public types. Kept free of the
// DOM and Node libraries so the same source type-checks in a browser build and in Node tests.

/** What a topic's `data` may be on the wire: the seeds send strings; arrays and objects too. */
export type TopicData = string | unknown[] | Record<string, unknown>;

/**
 * The topics of `/socket/all` and their payloads. An interface (not a type) so an application
 * can add its own topics by declaration merging:
 * `declare module '.../realtime-client.js' { interface TopicMap { my_topic: MyData } }`.
 */
export interface TopicMap {
  all_patient_page_data: TopicData;
  all_active_visit_data: TopicData;
}

/**
 * A topic frame: the snapshot reply to `{"type": topic}` has no `id` (and `data: null` before the
 * first notify); a broadcast has the group's increasing `id`.
 */
export interface TopicFrame<K extends keyof TopicMap = keyof TopicMap> {
  type: K;
  data: TopicMap[K] | null;
  id?: number;
}

/** The sender's acknowledgement of a chat message: `id` is the id the message got. */
export interface AckFrame {
  type: 'ack';
  id: number;
}

/** A frame the server refused (bad JSON, wrong field, unknown topic, layer down); the socket stays open. */
export interface ErrorFrame {
  type: 'error';
  code: number;
  msg: string;
}

/** `/ws/chat/:group`: a message to every socket of the chat. */
export interface ChatFrame {
  message: string;
  from: string;
  group: string;
  id: number;
  ts: number;
}

/** `/push/:username`: every push; a chat to an absent user arrives with a ChatFrame as `event`. */
export interface PushFrame<E = unknown> {
  event: E;
  id: number;
}

/** `/ws/room/:room`: a message to every socket of the room, the sender's included. */
export interface RoomFrame {
  message: string;
  from: string;
  room: string;
  id: number;
  ts: number;
}

/** Any inbound frame: a JSON object. Narrow it with the frame types above. */
export type InboundFrame = { readonly [key: string]: unknown };

/** An inbound frame with a string `type`, for types the client knows nothing about. */
export type TypedFrame = InboundFrame & { readonly type: string };

/** The frame a handler of `on(type)` receives: typed for known topics, `ack` and `error`. */
export type FrameOf<T extends string> = T extends keyof TopicMap
  ? TopicFrame<T>
  : T extends 'ack'
    ? AckFrame
    : T extends 'error'
      ? ErrorFrame
      : TypedFrame;

/**
 * `connecting`: the first attempt; `open`: frames flow; `reconnecting`: dropped or never opened,
 * the next attempt is scheduled; `closed`: `close()` was called or the handshake was refused.
 */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/**
 * `refused`: the server refused the handshake (`status` 400, 401, 403 or 404); the client is closed.
 * `unreachable`: no connection and the server is down or answers something else; the client keeps
 * trying (reported once per outage). `frame`: an inbound frame was not a JSON object; it was dropped.
 * `handler`: one of your handlers threw; the others still ran.
 */
export type ClientErrorKind = 'refused' | 'unreachable' | 'frame' | 'handler';

export interface ClientError {
  kind: ClientErrorKind;
  /** The HTTP status of a refused handshake (`refused`), or what the probe got (`unreachable`). */
  status?: number;
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

/**
 * The part of the WebSocket API the client uses, satisfied by browsers' `WebSocket` and by the
 * `ws` package's. Declared here because the client compiles without the DOM library.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: MessageEventLike) => void): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface ConnectOptions {
  /** Sent as the `token` query parameter; a function is called again before every attempt. */
  token: string | (() => string | Promise<string>);
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
   * On every open, send `{"type": topic}` for every topic with an `on(topic)` handler (and when a
   * topic gets its first handler while open). Default: true when the URL path is `/socket/all`.
   */
  snapshots?: boolean;
}

export interface RealtimeClient {
  readonly state: ConnectionState;
  readonly url: string;
  /** Frames whose `type` is `type`; for a topic, both snapshot replies and broadcasts. */
  on<T extends string>(type: T, handler: (frame: FrameOf<T>) => void): Unsubscribe;
  off<T extends string>(type: T, handler: (frame: FrameOf<T>) => void): void;
  /** Every parsed inbound frame (chat, push and room frames have no `type`). */
  onFrame(handler: (frame: InboundFrame) => void): Unsubscribe;
  onState(handler: (state: ConnectionState) => void): Unsubscribe;
  onError(handler: (error: ClientError) => void): Unsubscribe;
  /** Sends an object as JSON, or a string as is; false (and nothing sent) unless open. */
  send(frame: object | string): boolean;
  /** Closes for good: no reconnect, every timer cleared, state `closed`. */
  close(): void;
}
