const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The Origin allow-list. Clients that send no Origin (servers, CLIs) are not browsers and pass;
 * a browser page on the server's own origin always passes. `allowed` (ALLOWED_ORIGINS) replaces
 * the default, which is any localhost origin; `*` in it allows every origin. The WebSocket handshake
 * and the HTTP API's CORS (`src/common/cors.ts`) both decide here, so they always agree.
 */
export function isAllowedOrigin(
  origin: string | undefined,
  host: string | undefined,
  allowed: readonly string[] | undefined,
): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (host !== undefined && url.host === host.toLowerCase()) return true;
  if (allowed) return allowed.includes('*') || allowed.includes(url.origin);
  return LOCAL_HOSTS.has(url.hostname);
}
