// URL handling without the URL class's differences between hosts: the client only appends a
// query parameter and reads the path, which plain string work does the same everywhere.

/** ws:// or wss:// with a host. */
export function isSocketUrl(url: string): boolean {
  return /^wss?:\/\/[^/?#]+/i.test(url);
}

/**
 * The URL with `token` as its only `token` query parameter (browsers cannot send headers on a
 * WebSocket, so the query is the one place). A fragment is dropped: WebSocket URLs have none.
 */
export function withToken(url: string, token: string): string {
  const withoutHash = url.split('#', 1)[0];
  const queryAt = withoutHash.indexOf('?');
  const path = queryAt < 0 ? withoutHash : withoutHash.slice(0, queryAt);
  const query = queryAt < 0 ? '' : withoutHash.slice(queryAt + 1);
  const params = query.split('&').filter((param) => param !== '' && !param.startsWith('token='));
  params.push(`token=${encodeURIComponent(token)}`);
  return `${path}?${params.join('&')}`;
}

/** The path of a ws(s) URL, without query or fragment. */
export function pathOf(url: string): string {
  return url.replace(/^wss?:\/\/[^/?#]*/i, '').split(/[?#]/, 1)[0] || '/';
}

/** The http(s) URL of a ws(s) URL, query (and token) kept: where the refusal probe asks. */
export function httpUrlOf(socketUrl: string): string {
  return socketUrl.replace(/^ws(s?):/i, (_scheme, secure: string) => (secure ? 'https:' : 'http:'));
}
