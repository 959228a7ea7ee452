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

/** Appends `"id": id` as the frame's last field. The Redis send script does the same in Lua. */
export function stampId(frame: UnnumberedFrame, id: number): string {
  return `${frame.slice(0, -1)},"id":${id}}`;
}

/**
 * The first id of a group is the current time in microseconds, not 1: ids then keep increasing
 * even when a counter is lost (a Redis restart without persistence, a restart of the memory
 * layer), as long as a group averages under a million messages a second. 2^53 µs lasts past 2255.
 */
export function firstId(nowMs: number = Date.now()): number {
  return nowMs * 1000;
}
