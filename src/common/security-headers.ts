import type { IncomingMessage } from 'node:http';
import helmet from 'helmet';

/** A Host header fit to go into the policy: a name or an IPv4/IPv6 address, and a port. */
const PLAIN_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The page's own origin as WebSocket URLs. CSP Level 3 lets `'self'` cover ws: and wss: to the
 * same host, but not every browser in use does, and the demo page's sockets must not depend on it.
 */
function sameOriginSockets(request: IncomingMessage): string {
  const host = request.headers.host;
  return host && PLAIN_HOST.test(host) ? `ws://${host} wss://${host}` : '';
}

/**
 * helmet's headers on every HTTP response (nosniff, frame and referrer policies, HSTS, …), with a
 * Content-Security-Policy the demo page (`public/`, no inline script, no external asset) works
 * under: scripts, styles and fetches from this origin only, and WebSockets to it. No
 * `upgrade-insecure-requests`: the service speaks plain HTTP unless a proxy adds TLS, and the
 * directive would turn the page's ws:// sockets into wss:// ones nobody answers.
 */
export function securityHeaders(): ReturnType<typeof helmet> {
  return helmet({
    contentSecurityPolicy: {
      directives: {
        'connect-src': ["'self'", sameOriginSockets],
        'style-src': ["'self'"],
        'upgrade-insecure-requests': null,
      },
    },
  });
}
