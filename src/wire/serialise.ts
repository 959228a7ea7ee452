import type { UnnumberedFrame } from './numbered';
import type { AckFrame, ChatMessage, GapFrame, JsonValue, RoomMessage } from './frames';

export type { AckFrame, ChatMessage, ErrorCode, GapFrame, ReplyFrame, RoomMessage, TopicFrame } from './frames';

/**
 * Every frame the server writes, by kind, and the one place their texts are built. Group frames
 * (broadcast, chat, push, room) get their `id` from the layer (`stampId` in `numbered.ts`, and its Lua twin in
 * `layer/redis/history-scripts.ts`); replies meant for one socket (snapshot, ack, error, gap) are not
 * numbered. Frames on the hot paths are written out by template rather than `JSON.stringify`
 * of an object, which costs about twice as much for the same text (`hand-written-frames.spec.ts`).
 */
/** `{"type":<topic>,"data":<data>}`; `dataJson` is the data's JSON text, shared with the snapshot. */
export function topicFrame(topic: string, dataJson: string): UnnumberedFrame {
  return `{"type":${JSON.stringify(topic)},"data":${dataJson}}` as UnnumberedFrame;
}

/**
 * Only the message needs escaping: `from` and `group` are chat ids (`[A-Za-z0-9_-]`, see
 * `parseChatGroup`), and `ts` is an integer (from `Date.now()`), which a template prints as JSON does.
 */
export function chatMessageFrame(body: ChatMessage): UnnumberedFrame {
  const { message, from, group, ts } = body;
  return `{"message":${JSON.stringify(message)},"from":"${from}","group":"${group}","ts":${ts}}` as UnnumberedFrame;
}

/** `from` is a user id and `room` a room name, both `[A-Za-z0-9_-]`: no escaping needed. */
export function roomMessageFrame(body: RoomMessage): UnnumberedFrame {
  const { message, from, room, ts } = body;
  return `{"message":${JSON.stringify(message)},"from":"${from}","room":"${room}","ts":${ts}}` as UnnumberedFrame;
}

export function pushFrame(event: JsonValue): UnnumberedFrame {
  return `{"event":${JSON.stringify(event)}}` as UnnumberedFrame;
}

/**
 * `{"event": <a numbered frame>}`: how a chat message for an absent peer travels to the peer's
 * push group, where it gets the push group's own id. Mirrored in Lua (`sendUnlessAbsentScript`).
 */
export function eventFrame(numbered: string): UnnumberedFrame {
  return `{"event":${numbered}}` as UnnumberedFrame;
}

/**
 * A reader (a resuming socket, or every socket of a group that caught up) missed messages after
 * `since` that history no longer holds; `first` is the first message that follows, or null.
 */
export function gapFrame(gap: Omit<GapFrame, 'type'>): string {
  return `{"type":"gap","since":${gap.since},"first":${gap.first}}`;
}

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
