/**
 * WebSocket text frames built here rather than by `ws.send`: `ws` frames every send anew (a
 * header buffer, a cork, two writes gathered into one `writev`), so a broadcast to N sockets
 * framed N times. A frame built once is one buffer, written as it is to every connection.
 * `ws`'s own framing (`Sender.frame`) is not part of its public API, hence this encoder.
 */

/** An unmasked, final, uncompressed text frame (RFC 6455 §5.2) carrying `payload` (UTF-8). */
export function textFrame(payload: Buffer | string): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const headerLength = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81; // FIN + opcode 1 (text)
  if (length < 126) {
    frame[1] = length;
  } else if (length < 0x10000) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 0x100000000), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  if (typeof payload === 'string') frame.write(payload, headerLength, 'utf8');
  else payload.copy(frame, headerLength);
  return frame;
}

/**
 * Frames each broadcast once. The layer hands the same payload Buffer to every member of a group
 * one after another, so remembering the last payload (by identity) is enough to share the frame.
 */
export class SharedFraming {
  private payload?: Buffer;
  private frame?: Buffer;

  of(payload: Buffer): Buffer {
    if (payload !== this.payload || !this.frame) {
      this.frame = textFrame(payload);
      this.payload = payload;
    }
    return this.frame;
  }
}
