import type { ChatMessage } from '../common/frames';
import type { UnnumberedFrame } from '../layer/frame';

/**
 * The text `unnumbered(body)` gives, written out by hand: this runs for every chat message, and
 * `JSON.stringify` of the whole object costs about twice as much. Only the message needs
 * escaping: `from` and `group` are chat ids (`[A-Za-z0-9_-]`, see `parseChatGroup`), and `ts` is
 * an integer (from `Date.now()`), which a template prints as JSON does.
 */
export function chatMessageFrame(body: ChatMessage): UnnumberedFrame {
  const { message, from, group, ts } = body;
  return `{"message":${JSON.stringify(message)},"from":"${from}","group":"${group}","ts":${ts}}` as UnnumberedFrame;
}
