import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Server as HttpServer } from 'node:http';
import { DrainState } from './drain-state';

const SHUTTING_DOWN = { statusCode: 503, message: 'server shutting down', error: 'Service Unavailable' };

/**
 * The HTTP side of draining. While serving, it counts the requests under way (so shutdown can
 * wait for a `POST /api/push` answered 202 to be delivered before the sockets close). While
 * draining, a new request gets 503 with `Connection: close`, except `/health` (and `/health/…`),
 * which passes on to answer `draining` itself; and no connection is kept alive.
 */
@Injectable()
export class HttpDrain {
  private readonly underWay = new Set<Response>();
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly drain: DrainState) {}

  /** Express middleware: first in the chain (see `bootstrap.ts`). */
  readonly middleware = (request: Request, response: Response, next: NextFunction): void => {
    if (!this.drain.draining) {
      this.track(response);
      return next();
    }
    response.setHeader('Connection', 'close');
    if (request.path === '/health' || request.path.startsWith('/health/')) return next();
    response.status(503).json(SHUTTING_DOWN);
  };

  /**
   * Stops keeping HTTP connections alive: idle ones close now, and responses not yet started
   * carry `Connection: close`, so their connections close once they are answered.
   */
  stopKeepAlive(server: HttpServer): void {
    for (const response of this.underWay) if (!response.headersSent) response.setHeader('Connection', 'close');
    server.closeIdleConnections();
  }

  /** Resolves once every request that came in before draining has been answered (or dropped). */
  idle(): Promise<void> {
    if (this.underWay.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private track(response: Response): void {
    this.underWay.add(response);
    // 'close' follows 'finish', and also comes for a request whose client went away.
    response.once('close', () => {
      this.underWay.delete(response);
      if (this.underWay.size > 0 || this.idleWaiters.length === 0) return;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    });
  }
}
