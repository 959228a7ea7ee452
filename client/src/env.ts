// The host's globals the client needs (timers, fetch, AbortController, WebSocket, crypto), typed here
// because the client compiles without the DOM and Node libraries. Browsers and Node 20 have all
// of them except Node's WebSocket, which callers pass in. Read on every use, never cached, so a
// polyfill installed after import still counts and the module holds no state.

import type { WebSocketConstructor } from './types.js';

/** A number in browsers, an object in Node: only ever handed back to `clearTimer`. */
export type TimerHandle = number | object;

interface AbortSignalLike {
  readonly aborted: boolean;
}

interface AbortControllerLike {
  readonly signal: AbortSignalLike;
  abort(): void;
}

interface FetchResponseLike {
  readonly status: number;
  text(): Promise<string>;
}

interface Host {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  fetch?: (url: string, init: { method: string; signal?: AbortSignalLike }) => Promise<FetchResponseLike>;
  AbortController?: new () => AbortControllerLike;
  WebSocket?: WebSocketConstructor;
  crypto?: { getRandomValues?(array: Uint8Array): Uint8Array };
}

function host(): Host {
  return globalThis as unknown as Host;
}

export function setTimer(callback: () => void, ms: number): TimerHandle {
  return host().setTimeout(callback, ms);
}

export function clearTimer(handle: TimerHandle | undefined): void {
  if (handle !== undefined) host().clearTimeout(handle);
}

export function defaultWebSocket(): WebSocketConstructor | undefined {
  return host().WebSocket;
}

/** A GET that `cancel()` aborts (where AbortController exists), so no request outlives the client. */
export interface PendingRequest {
  readonly response: Promise<FetchResponseLike>;
  cancel(): void;
}

export function get(url: string): PendingRequest {
  const { fetch, AbortController } = host();
  if (!fetch) return { response: Promise.reject(new Error('fetch is not available')), cancel: () => undefined };
  const controller = AbortController ? new AbortController() : undefined;
  // `fetch` must be called with the global as `this` (browsers throw "Illegal invocation").
  const response = fetch.call(globalThis, url, { method: 'GET', signal: controller?.signal });
  return { response, cancel: () => controller?.abort() };
}

/**
 * `bytes` random bytes as hex, from `crypto.getRandomValues` (browsers, also outside secure
 * contexts, and Node 20); `Math.random` only where there is no `crypto` at all.
 */
export function randomHex(bytes: number): string {
  const buffer = new Uint8Array(bytes);
  const crypto = host().crypto;
  if (crypto?.getRandomValues) crypto.getRandomValues(buffer);
  else for (let i = 0; i < bytes; i++) buffer[i] = Math.floor(Math.random() * 256);
  return Array.from(buffer, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
