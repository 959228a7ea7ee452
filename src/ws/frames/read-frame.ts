import type { RawData } from 'ws';
import { exceedsJsonDepth, JSON_TOO_DEEP } from '../../common/json-depth';

export type InboundFrame =
  { kind: 'ping' } | { kind: 'invalid'; reason: string } | { kind: 'frame'; value: Record<string, unknown> | string };

/**
 * Classifies one inbound WebSocket message: the text `ping` (the seeds' browser heartbeat), a
 * JSON object for the gateway (or the raw text, for endpoints that take text), or why it is
 * refused. Oversized frames never get here: `ws` closes those with 1009 (maxPayload), and
 * invalid UTF-8 with 1007. JSON nested too deep is refused before JSON.parse spends time on it.
 */
const PING = Buffer.from('ping');

/** Whether a message is the text `ping`, without decoding it: for frames over the rate limit. */
export function isPing(data: RawData, isBinary: boolean): boolean {
  return !isBinary && Buffer.isBuffer(data) && data.length === 4 && data.equals(PING);
}

export function readFrame(data: RawData, isBinary: boolean, takesText: boolean): InboundFrame {
  if (isBinary) return { kind: 'invalid', reason: 'binary frames are not supported: send UTF-8 text' };
  const bytes = toBytes(data);
  const text = bytes.toString('utf8');
  if (text === 'ping') return { kind: 'ping' };
  if (takesText) return { kind: 'frame', value: text };
  if (exceedsJsonDepth(bytes)) return { kind: 'invalid', reason: JSON_TOO_DEEP };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'invalid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'invalid', reason: 'a frame must be a JSON object' };
  }
  return { kind: 'frame', value: value as Record<string, unknown> };
}

function toBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
