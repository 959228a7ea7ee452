import { ExecutionContext, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { Request, Response } from 'express';
import type { Counter } from 'prom-client';
import { Metrics } from '../metrics/metrics.service';

/** `/api` and everything under it, whatever the case (Express matches routes case-insensitively). */
const API_PATH = /^\/api(?:\/|$)/i;

/**
 * `HTTP_RATE_PER_MIN` per client IP on `/api/*`: one count per address for every route under
 * `/api` (the route is not part of the key), in a sliding window of one minute. Everything else
 * passes untouched: `/health`, static files, and the WebSocket handshake probe (a middleware, which
 * no guard sees). Over the limit: 429 in Nest's error shape, with `Retry-After` in seconds.
 */
@Injectable()
export class ApiThrottlerGuard extends ThrottlerGuard {
  private readonly refused: Counter.Internal;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    metrics: Metrics,
  ) {
    super(options, storage, reflector);
    this.refused = metrics.rateLimited.labels('http');
  }

  /** Global guards also run for the microservice transport's events: only HTTP under /api counts. */
  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return Promise.resolve(true);
    const request = context.switchToHttp().getRequest<Request>();
    // The pattern the request was routed by (`/api/notify/:topic`), else its path.
    const route = (request.route as { path?: unknown } | undefined)?.path;
    return Promise.resolve(!API_PATH.test(typeof route === 'string' ? route : request.path));
  }

  /** The client's address alone: the base class keys by controller and handler too. */
  protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
    return `${name}:${tracker}`;
  }

  protected override throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    this.refused.inc();
    // Seconds until the oldest request in the window leaves it; at least 1 (0 would invite a retry storm).
    const retryAfter = Math.max(1, detail.timeToBlockExpire);
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(retryAfter));
    const status = HttpStatus.TOO_MANY_REQUESTS;
    const message = `too many requests: at most ${detail.limit} a minute from one address; retry after ${retryAfter} s`;
    throw new HttpException({ statusCode: status, message, error: 'Too Many Requests' }, status);
  }
}
