import type { NextFunction, Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import type { RoutedWsAdapter } from '../routed-ws.adapter';

/**
 * Answers a plain GET on a WebSocket path with the status its handshake would get (401, 403, 400,
 * 404 for a refusal, 426 when it would be accepted), so a browser client can tell "refused" from
 * "server down" after a failed open and stop retrying a refused one.
 */
export function handshakeProbe(adapter: RoutedWsAdapter) {
  return (request: Request, response: Response, next: NextFunction): void => {
    if (request.method !== 'GET' || request.headers.upgrade) return next();
    const verdict = adapter.probe(request);
    if (!verdict) return next();
    if (verdict.allowOrigin) response.setHeader('Access-Control-Allow-Origin', verdict.allowOrigin).vary('Origin');
    response
      .status(verdict.status)
      .json({ statusCode: verdict.status, message: verdict.message, error: STATUS_CODES[verdict.status] });
  };
}
