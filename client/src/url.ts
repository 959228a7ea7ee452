// URL handling without the URL class's differences between hosts: the client only appends a
// query parameter and reads the path, which plain string work does the same everywhere.

/** ws:// or wss:// with a host. */
export function isSocketUrl(url: string): boolean {
  return /^wss?:\/\/[^/?#]+/i.test(url);
}

/**
 * The URL with `token` as its only `token` query parameter (browsers cannot send headers on a
 * WebSocket, so the query is the one place) and, when given, `since` as its only `since`; other
 * parameters are kept. A fragment is dropped: WebSocket URLs have none.
 */
export function withQuery(url: string, token: string, since?: number): string {
  const { path, params } = split(url);
  const kept = params.filter((param) => !param.startsWith('token=') && !param.startsWith('since='));
  kept.push(`token=${encodeURIComponent(token)}`);
  if (since !== undefined) kept.push(`since=${since}`);
  return `${path}?${kept.join('&')}`;
}

/** The value of the URL's `since` query parameter (the last one), if it has one. */
export function sinceParamOf(url: string): string | undefined {
  const found = split(url).params.filter((param) => param.startsWith('since='));
  return found.length === 0 ? undefined : decodeURIComponent(found[found.length - 1].slice('since='.length));
}

function split(url: string): { path: string; params: string[] } {
  const withoutHash = url.split('#', 1)[0];
  const queryAt = withoutHash.indexOf('?');
  const path = queryAt < 0 ? withoutHash : withoutHash.slice(0, queryAt);
  const query = queryAt < 0 ? '' : withoutHash.slice(queryAt + 1);
  return { path, params: query.split('&').filter((param) => param !== '') };
}

/** The path of a ws(s) URL, without query or fragment. */
export function pathOf(url: string): string {
  return url.replace(/^wss?:\/\/[^/?#]*/i, '').split(/[?#]/, 1)[0] || '/';
}

/** The http(s) URL of a ws(s) URL, query (and token) kept: where the refusal probe asks. */
export function httpUrlOf(socketUrl: string): string {
  return socketUrl.replace(/^ws(s?):/i, (_scheme, secure: string) => (secure ? 'https:' : 'http:'));
}
