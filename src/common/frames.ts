import type { JsonValue, TopicData } from './json-value';

/**
 * Every frame the server writes, by kind. Group frames (broadcast, chat, push, room) get their
 * `id` from the layer; replies meant for one socket (snapshot, ack, error) are not numbered.
 */
export interface TopicFrame {
  type: string;
  data: TopicData | null;
}
export type BroadcastFrame = TopicFrame & { id: number };

export interface ChatMessage {
  message: string;
  from: string;
  group: string;
  ts: number;
}
export type ChatFrame = ChatMessage & { id: number };

export interface PushFrame {
  event: JsonValue;
  id: number;
}

export interface RoomMessage {
  message: string;
  from: string;
  room: string;
  ts: number;
}

export interface AckFrame {
  type: 'ack';
  id: number;
}

/** 400 malformed, 403 refused, 404 unknown, 500 server fault, 503 layer unavailable. */
export type ErrorCode = 400 | 403 | 404 | 500 | 503;

export interface ErrorFrame {
  type: 'error';
  code: ErrorCode;
  msg: string;
}

/** What a gateway may answer to the socket that sent a frame. */
export type ReplyFrame = TopicFrame | AckFrame | ErrorFrame;

/**
 * The JSON text of a reply. An ack (one for every chat and room message) is written out by hand:
 * `JSON.stringify` of the object costs about twice as much, for the same text.
 */
export function replyText(reply: object): string {
  return isAck(reply) ? `{"type":"ack","id":${reply.id}}` : JSON.stringify(reply);
}

function isAck(reply: object): reply is AckFrame {
  const { type, id } = reply as Partial<AckFrame>;
  return type === 'ack' && Number.isSafeInteger(id) && Object.keys(reply).length === 2;
}
