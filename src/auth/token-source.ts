import type { IncomingHttpHeaders } from 'node:http';

/**
 * Finds the token where the contract allows it: the `token` header (as in the seeds),
 * `Authorization: Bearer <jwt>`, or the `token` query parameter (browsers cannot set headers on
 * a WebSocket). HTTP routes and handshakes share this, so both accept the same places.
 */
export function findToken(headers: IncomingHttpHeaders, query: URLSearchParams): string | undefined {
  const header = headers.token;
  if (typeof header === 'string' && header !== '') return header;
  const authorization = headers.authorization;
  if (authorization) {
    const [scheme, value] = authorization.split(' ', 2);
    if (scheme?.toLowerCase() === 'bearer' && value) return value.trim();
  }
  return query.get('token') ?? undefined;
}
