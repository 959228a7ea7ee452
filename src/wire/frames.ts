/**
 * The wire format: every frame the service reads or writes, as types. This file is the one home of
 * these shapes: the server builds its frames from them (`serialise.ts` beside it) and the client
 * library imports them type-only, so neither can drift from the other. It imports nothing and
 * holds no runtime code, so that a browser build can use it as it is.
 */

/** Any value JSON can carry. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What a topic's `data` may be: a string, an array or an object. */
export type TopicData = string | JsonValue[] | { [key: string]: JsonValue };

/**
 * `/socket/all`: the reply to `{"type": <topic>}` (no `id`; `data` null before the first notify),
 * and, with the group's `id`, every broadcast of the topic.
 */
export interface TopicFrame {
  type: string;
  data: TopicData | null;
}
/** @public (the client's) */
export type BroadcastFrame = TopicFrame & { id: number };

/** `/ws/chat/:group`: a message to every socket of the chat. */
export interface ChatMessage {
  message: string;
  from: string;
  group: string;
  ts: number;
}
/** @public (the client's) */
export type ChatFrame = ChatMessage & { id: number };

/**
 * `/push/:username`: every push; a chat to an absent user arrives with a `ChatFrame` as `event`.
 * @public (the client's)
 */
export interface PushFrame<E = JsonValue> {
  event: E;
  id: number;
}

/** `/ws/room/:room`: a message to every socket of the room, the sender's included. */
export interface RoomMessage {
  message: string;
  from: string;
  room: string;
  ts: number;
}
/** @public (the client's) */
export type RoomFrame = RoomMessage & { id: number };

/** The sender's acknowledgement of a chat message, or of a room message with a `cid`. */
export interface AckFrame {
  type: 'ack';
  id: number;
}

/**
 * Sent right after open, before the replay, when a message after `since` is no longer in history:
 * `first` is the id of the first message replayed, or null when none is left.
 */
export interface GapFrame {
  type: 'gap';
  since: number;
  first: number | null;
}

/** An HTTP status, as error frames use them (400, 403, 404, 429, 500, 503, ...). */
export type ErrorCode = number;

/** A frame the server refused; the socket stays open. */
export interface ErrorFrame {
  type: 'error';
  code: ErrorCode;
  msg: string;
}

/** What a gateway may answer to the socket that sent a frame. */
export type ReplyFrame = TopicFrame | AckFrame | ErrorFrame;
