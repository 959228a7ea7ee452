import type { CorsOptions, CorsOptionsDelegate } from '@nestjs/common/interfaces/external/cors-options.interface';
import type { NextFunction, Request, Response } from 'express';
import { isAllowedOrigin } from '../ws/handshake/origin-policy';

/** The API's methods and the request headers it reads (a bearer token, a JSON body). */
const BASE: CorsOptions = {
  methods: ['GET', 'HEAD', 'POST'],
  allowedHeaders: ['Authorization', 'Content-Type'],
  // A 429's `Retry-After` must be readable by the page that has to wait.
  exposedHeaders: ['Retry-After'],
  // Ten minutes of cached preflights: a changed ALLOWED_ORIGINS reaches browsers within that.
  maxAge: 600,
};
const REFUSED = { statusCode: 403, message: 'origin not allowed', error: 'Forbidden' };

/**
 * Whether a browser page on `request`'s Origin may read HTTP responses: exactly the WebSocket
 * handshake's decision (`isAllowedOrigin` with the request's Host and ALLOWED_ORIGINS), so a page
 * that may open a socket may call the API, and no other. False when there is no Origin (not a
 * cross-origin browser request: nothing to allow).
 */
function allows(request: Request, allowed: readonly string[] | undefined): boolean {
  const origin = request.headers.origin;
  return origin !== undefined && isAllowedOrigin(origin, request.headers.host, allowed);
}

/**
 * `app.enableCors`'s per-request delegate: an allowed Origin is echoed in
 * `Access-Control-Allow-Origin` (never `*`, so the answer is per origin and `Vary: Origin` says
 * so), a preflight from it gets 204; any other request gets no CORS header. No
 * `Access-Control-Allow-Credentials`: the API authenticates with a bearer token, not cookies.
 */
export function corsDelegate(allowed: readonly string[] | undefined): CorsOptionsDelegate<Request> {
  return (request, callback) => {
    callback(null, { ...BASE, origin: allows(request, allowed) ? request.headers.origin : false });
  };
}

/**
 * After the CORS middleware: every response says it varies by Origin (a cache must not hand a
 * response without `Access-Control-Allow-Origin` to an allowed page), and a preflight from an
 * origin that is not allowed is refused with 403, as its WebSocket handshake is, rather than
 * running into the router's 404. Preflights never reach the routes, so the rate limit (a guard on
 * the `/api` routes) neither counts nor refuses them.
 */
export function refuseForeignPreflights(allowed: readonly string[] | undefined) {
  return (request: Request, response: Response, next: NextFunction): void => {
    response.vary('Origin');
    const preflight =
      request.method === 'OPTIONS' &&
      request.headers.origin !== undefined &&
      request.headers['access-control-request-method'] !== undefined;
    if (!preflight || allows(request, allowed)) return next();
    response.status(403).json(REFUSED);
  };
}
