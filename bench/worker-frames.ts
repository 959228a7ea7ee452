/**
 * Numbers read straight out of a `ws` frame's bytes, with no JSON parse, so that one worker stays
 * cheap with thousands of sockets: the fan-out and chat handlers find where a number starts.
 */

/** An unsigned or negative decimal number written in ASCII at `at`, as JSON writes it. */
export function readNumber(buf: Buffer, at: number): number {
  let i = at;
  const negative = buf[i] === 45;
  if (negative) i++;
  let whole = 0;
  for (; i < buf.length; i++) {
    const c = buf[i];
    if (c < 48 || c > 57) break;
    whole = whole * 10 + (c - 48);
  }
  let fraction = 0;
  let scale = 1;
  if (buf[i] === 46) {
    for (i++; i < buf.length; i++) {
      const c = buf[i];
      if (c < 48 || c > 57) break;
      fraction = fraction * 10 + (c - 48);
      scale *= 10;
    }
  }
  const value = whole + fraction / scale;
  return negative ? -value : value;
}
