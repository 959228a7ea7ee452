/**
 * A frame on its way to a group: the JSON text of an object without its `id`. The layer adds the
 * id when it takes one, so the frame is serialised once per send, not once per recipient.
 */
export type UnnumberedFrame = string & { readonly __brand: 'UnnumberedFrame' };

/** The finished UTF-8 bytes of a frame, shared by every recipient of one send. */
export type NumberedFrame = Buffer;

/** Serialises a frame object once. The object must not already have an `id`. */
export function unnumbered(frame: object): UnnumberedFrame {
  const text = JSON.stringify(frame);
  if (text === '{}' || text[0] !== '{') throw new TypeError('a frame is a non-empty JSON object');
  return text as UnnumberedFrame;
}

/**
 * Appends `"id": id` as the frame's last field. The Redis scripts do the same in Lua
 * (`history-scripts.ts`, `stamp`); the layer contract suite holds the two byte-equal. The frames
 * themselves are built in `serialise.ts`.
 */
export function stampId(frame: UnnumberedFrame, id: number): string {
  return `${frame.slice(0, -1)},"id":${id}}`;
}

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const CLOSE_BRACE = 0x7d;
/** `"id":`, which precedes the digits of a stamped id. */
const ID_KEY = Buffer.from('"id":');

/**
 * The id `stampId` wrote at the end of a numbered frame, read from its last bytes without parsing
 * the frame; NaN for a frame that ends otherwise (a direct frame from `sendTo`). Runs once per
 * received message on Redis, so it must stay a short loop over the tail.
 */
export function idOf(frame: Buffer): number {
  const end = frame.length - 1;
  if (end < ID_KEY.length + 1 || frame[end] !== CLOSE_BRACE) return NaN;
  let id = 0;
  let scale = 1;
  let i = end - 1;
  for (; i >= 0 && frame[i] >= DIGIT_0 && frame[i] <= DIGIT_9; i--) {
    id += (frame[i] - DIGIT_0) * scale;
    scale *= 10;
  }
  const keyStart = i - ID_KEY.length + 1;
  const stamped = i < end - 1 && keyStart >= 0 && frame.compare(ID_KEY, 0, ID_KEY.length, keyStart, i + 1) === 0;
  return stamped ? id : NaN;
}

/**
 * The first id of a group is the current time in microseconds, not 1: ids then keep increasing
 * even when a counter is lost (a Redis restart without persistence, an expired history, a restart
 * of the memory layer), as long as a group averages under a million messages a second. 2^53 µs
 * lasts past 2255.
 */
export function firstId(nowMs: number = Date.now()): number {
  return nowMs * 1000;
}
