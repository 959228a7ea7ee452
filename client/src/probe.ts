// Why a socket closed without ever opening. A browser cannot read the HTTP status of a refused
// upgrade: it only sees `error` then `close` (code 1006), the same as when the server is down.
// Retrying a refused handshake forever would be a loop that never succeeds (an expired token, a
// path that is not yours), so the client asks the server: a plain GET on the same URL answers
// the status the handshake would get (400, 401, 403, 404), or 426 when it would be accepted.

import { clearTimer, get, setTimer } from './env.js';
import { httpUrlOf } from './url.js';

/** Statuses that will not change by retrying the same URL with the same token. */
const REFUSED_STATUSES: readonly number[] = [400, 401, 403, 404];

type ProbeVerdict =
  | { refused: true; status: number; message: string }
  | { refused: false; status?: number; message: string; cause?: unknown };

export interface PendingProbe {
  readonly verdict: Promise<ProbeVerdict>;
  /** Abandons the probe (the client was closed); the verdict still settles. */
  cancel(): void;
}

/** GETs the http(s) twin of `socketUrl` and says whether the handshake was refused. Never rejects. */
export function probe(socketUrl: string, timeoutMs: number): PendingProbe {
  const request = get(httpUrlOf(socketUrl));
  let settle: (verdict: ProbeVerdict) => void = () => undefined;
  const verdict = new Promise<ProbeVerdict>((resolve) => (settle = resolve));
  let settled = false;
  const finish = (result: ProbeVerdict): void => {
    if (settled) return;
    settled = true;
    clearTimer(timer);
    settle(result);
  };
  const timer = setTimer(() => {
    request.cancel();
    finish({ refused: false, message: `the server did not answer within ${timeoutMs} ms` });
  }, timeoutMs);

  request.response.then(
    async (response) => {
      // Read the body even when it is not needed, so the connection is released.
      const body = await response.text().catch(() => '');
      const message = messageOf(body) ?? `HTTP ${response.status}`;
      if (REFUSED_STATUSES.includes(response.status)) finish({ refused: true, status: response.status, message });
      else finish({ refused: false, status: response.status, message: `the server answered HTTP ${response.status}` });
    },
    (error: unknown) => finish({ refused: false, message: 'the server is unreachable', cause: error }),
  );
  return {
    verdict,
    cancel: () => {
      request.cancel();
      finish({ refused: false, message: 'cancelled' });
    },
  };
}

/** Nest's error body is `{"statusCode","message","error"}`; `message` may be a list. */
function messageOf(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const message = (parsed as { message?: unknown }).message;
    if (typeof message === 'string') return message;
    if (Array.isArray(message)) return message.filter((part) => typeof part === 'string').join('; ') || undefined;
  } catch {
    // Not JSON (a proxy's HTML page): the status alone says enough.
  }
  return undefined;
}
