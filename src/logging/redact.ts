/** What a redacted value is replaced with, in URLs and in the redacted log paths. */
export const REDACTED = '[Redacted]';

/**
 * Log paths whose value is a credential (`pino`'s `redact`): a token can come in
 * `Authorization: Bearer`, in the `token` header (as the original clients send it) or in a cookie.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers.token',
  'res.headers["set-cookie"]',
];

/**
 * `url` with the value of every `token` query parameter replaced by `[Redacted]`, the rest kept as
 * it came. A parameter counts as `token` when its name decodes to it (`tok%65n` too), as the
 * handshake's `URLSearchParams` would read it.
 */
export function redactUrl(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const hash = url.indexOf('#', query);
  const end = hash === -1 ? url.length : hash;
  const pairs = url.slice(query + 1, end).split('&');
  let changed = false;
  for (let i = 0; i < pairs.length; i++) {
    const equals = pairs[i].indexOf('=');
    const rawName = equals === -1 ? pairs[i] : pairs[i].slice(0, equals);
    if (decodeName(rawName) !== 'token') continue;
    pairs[i] = `${rawName}=${REDACTED}`;
    changed = true;
  }
  return changed ? `${url.slice(0, query + 1)}${pairs.join('&')}${url.slice(end)}` : url;
}

function decodeName(raw: string): string {
  const name = raw.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(name);
  } catch {
    // URLSearchParams keeps a malformed escape as it is.
    return name;
  }
}
