import { groupName, type GroupName } from '../layer/group-name';

/** A chat participant id: a user id without `_`, which separates the two ids in a chat name. */
const CHAT_USER_ID = /^[A-Za-z0-9-]{1,64}$/;
const DECIMAL = /^[0-9]+$/;

/** A one-to-one chat: its canonical name `<a>_<b>`, its two participants (a before b), its layer group. */
export interface ChatGroup {
  readonly name: string;
  readonly members: readonly [string, string];
  /** `chat.<a>_<b>`: the `chat.` kind keeps it apart from rooms and push groups. */
  readonly layerGroup: GroupName;
}

/** Numeric order when both ids are decimal integers, otherwise string order (CONTRACT.md). */
function compareChatIds(a: string, b: string): number {
  if (DECIMAL.test(a) && DECIMAL.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    if (x !== y) return x < y ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Parses `a_b` or `b_a` into the canonical chat; null unless it names two distinct valid ids. */
export function parseChatGroup(raw: string): ChatGroup | null {
  const parts = raw.split('_');
  if (parts.length !== 2) return null;
  const [x, y] = parts as [string, string];
  if (!CHAT_USER_ID.test(x) || !CHAT_USER_ID.test(y) || x === y) return null;
  const [a, b] = compareChatIds(x, y) <= 0 ? [x, y] : [y, x];
  return { name: `${a}_${b}`, members: [a, b], layerGroup: groupName(`chat.${a}_${b}`) };
}

export function otherMember(chat: ChatGroup, userId: string): string {
  return chat.members[0] === userId ? chat.members[1] : chat.members[0];
}
