// `connect()`'s options with their defaults filled in and checked once, up front: a typo such as
// `heartbeatMs: -1` or `backoff: { initialMs: 0 }` would otherwise show up much later, as a
// silent socket or a tight reconnect loop.

import { Backoff, resolveBackoff } from './backoff.js';
import { defaultWebSocket } from './env.js';
import type { ConnectOptions, WebSocketConstructor } from './types.js';
import { isSocketUrl, pathOf, sinceParamOf } from './url.js';

const DEFAULT_HEARTBEAT_MS = 10000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10000;
const DEFAULT_PROBE_TIMEOUT_MS = 5000;
const DEFAULT_TOKEN_RETRIES = 3;

export interface ResolvedOptions {
  WebSocket: WebSocketConstructor;
  backoff: Backoff;
  resetAfterMs: number;
  /** 0: no heartbeat. */
  heartbeatMs: number;
  pongTimeoutMs: number;
  connectTimeoutMs: number;
  probeTimeoutMs: number;
  snapshots: boolean;
  /** Where the first connect resumes from (the option, else the URL's `since`); undefined: live. */
  since: number | undefined;
  tokenRetries: number;
}

/**
 * Throws a TypeError for a URL that is not ws(s), a missing WebSocket or a getToken that is not a
 * function, a RangeError for a bad duration or count.
 */
export function resolveOptions(url: string, options: ConnectOptions): ResolvedOptions {
  if (!isSocketUrl(url)) throw new TypeError(`not a ws:// or wss:// URL: ${url}`);
  const WebSocket = options.WebSocket ?? defaultWebSocket();
  if (!WebSocket) throw new TypeError('no global WebSocket here: pass options.WebSocket (in Node, ws)');
  const backoff = resolveBackoff(options.backoff);
  const heartbeatMs = duration('heartbeatMs', options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS, true);
  if (options.getToken !== undefined && typeof options.getToken !== 'function')
    throw new TypeError('getToken must be a function that returns a token or a promise of one');
  return {
    WebSocket,
    backoff: new Backoff(backoff),
    resetAfterMs: backoff.resetAfterMs,
    heartbeatMs,
    // Unused (and not checked) when the heartbeat is off.
    pongTimeoutMs: heartbeatMs === 0 ? 0 : duration('pongTimeoutMs', options.pongTimeoutMs ?? heartbeatMs),
    connectTimeoutMs: duration('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS),
    probeTimeoutMs: duration('probeTimeoutMs', options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS),
    // The global socket is the one whose topics have snapshots; other endpoints have no topics.
    snapshots: options.snapshots ?? /^\/socket\/all\/?$/.test(pathOf(url)),
    since: initialSince(url, options.since),
    tokenRetries: count('tokenRetries', options.tokenRetries ?? DEFAULT_TOKEN_RETRIES),
  };
}

/** An id the server accepts as `since`: a whole number from 0 to 2^53 - 1. */
export function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function initialSince(url: string, option: number | undefined): number | undefined {
  if (option !== undefined) {
    if (isId(option)) return option;
    throw new RangeError(`since must be a whole number from 0 to 2^53 - 1, got ${String(option)}`);
  }
  const param = sinceParamOf(url);
  if (param === undefined) return undefined;
  const since = /^[0-9]{1,16}$/.test(param) ? Number(param) : Number.NaN;
  if (isId(since)) return since;
  throw new RangeError(`the URL's since must be a whole number from 0 to 2^53 - 1, got ${param}`);
}

function count(name: string, value: number): number {
  if (Number.isSafeInteger(value) && value >= 1) return value;
  throw new RangeError(`${name} must be a whole number of at least 1, got ${value}`);
}

function duration(name: string, value: number, zeroAllowed = false): number {
  if (Number.isFinite(value) && (value > 0 || (zeroAllowed && value === 0))) return value;
  throw new RangeError(`${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number of ms, got ${value}`);
}
