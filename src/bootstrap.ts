import type { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { join } from 'node:path';
import { Logger } from 'nestjs-pino';
import type { CustomStrategy, RedisOptions } from '@nestjs/microservices';
import { AppModule } from './app.module';
import { answerClientErrors } from './common/client-error';
import { corsDelegate, refuseForeignPreflights } from './common/cors';
import { bodyParserErrors, JSON_BODY_OPTIONS } from './common/json-body';
import { securityHeaders } from './common/security-headers';
import { StrictValidationPipe } from './common/strict-validation.pipe';
import { AppConfig } from './config/app-config';
import { setupApiDocs } from './docs/api-docs';
import { DrainState } from './lifecycle/drain-state';
import { HttpDrain } from './lifecycle/http-drain';
import { pinoLevelOf } from './logging/root-logger';
import { Metrics } from './metrics/metrics.service';
import { ClaimingRedisServer } from './microservice/claiming-redis-server';
import { EventClaims } from './microservice/event-claims';
import { trustProxySetting } from './rate-limit/trust-proxy';
import { handshakeProbe } from './ws/handshake/handshake-probe.middleware';
import { FrameDispatcher } from './ws/frames/frame-dispatcher';
import { HandshakeService } from './ws/handshake/handshake.service';
import { PeerHub } from './ws/peers/peer-hub';
import { RoutedWsAdapter } from './ws/routed-ws.adapter';

export interface StartOptions {
  /** Nest's levels (the lowest one listed is pino's level), or `false` for none; unset: `LOG_LEVEL`. */
  logger?: LogLevel[] | false;
}

/**
 * Builds and starts one instance: HTTP and WebSocket on `config.PORT`, plus the Redis
 * microservice transport when `REDIS_URL` is set. `main.ts` and the e2e tests both start here.
 */
export async function startApp(config: AppConfig, options: StartOptions = {}): Promise<NestExpressApplication> {
  const level = pinoLevelOf(options.logger, config.LOG_LEVEL);
  // What Nest logs before its logger is pino's waits for it (`bufferLogs`), in the same format.
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, level), {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  // Which X-Forwarded-For hops name the client (HTTP_RATE_PER_MIN counts per client IP); unset: none.
  if (config.TRUST_PROXY !== undefined) app.set('trust proxy', trustProxySetting(config.TRUST_PROXY));
  const adapter = new RoutedWsAdapter(
    app,
    app.get(PeerHub),
    app.get(HandshakeService),
    app.get(FrameDispatcher),
    config,
    app.get(Metrics),
    app.get(DrainState),
  );
  app.useWebSocketAdapter(adapter);
  answerClientErrors(app.getHttpServer());
  app.disable('x-powered-by');
  // While draining, a new request is answered 503 before anything else runs.
  app.use(app.get(HttpDrain).middleware);
  app.use(securityHeaders());
  // CORS for the origins ALLOWED_ORIGINS lets open a WebSocket; preflights answered here.
  app.enableCors(corsDelegate(config.ALLOWED_ORIGINS));
  app.use(refuseForeignPreflights(config.ALLOWED_ORIGINS));
  // Before init, so Nest does not add its own parsers (its JSON one has no depth limit), and
  // before the handler that answers their refusals.
  app.useBodyParser('json', JSON_BODY_OPTIONS);
  app.useBodyParser('urlencoded', { extended: true });
  app.use(bodyParserErrors);
  app.use(handshakeProbe(adapter));
  // The demo page at `/` and the client package it imports (client/dist/index.js, built by
  // `npm run build`) at /client/.
  app.useStaticAssets(join(__dirname, '..', 'public'));
  app.useStaticAssets(join(__dirname, '..', 'client', 'dist'), { prefix: '/client/' });
  // OpenAPI at /api/docs-json, the Swagger UI at /api/docs.
  setupApiDocs(app);
  app.useGlobalPipes(new StrictValidationPipe());
  if (config.REDIS_URL) {
    const strategy = new ClaimingRedisServer(transportOptions(config.REDIS_URL), app.get(EventClaims));
    app.connectMicroservice<CustomStrategy>({ strategy }, { inheritAppConfig: true });
  }
  // The layer and the event claims connect in init: the transport must not take events before.
  await app.init();
  await app.startAllMicroservices();
  await app.listen(config.PORT, config.HOST ?? '::');
  return app;
}

function transportOptions(redisUrl: string): Required<RedisOptions>['options'] {
  const url = new URL(redisUrl);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || 6379),
    username: url.username || undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    // Without these Nest's Redis server stops reconnecting after the first lost connection.
    retryAttempts: Number.MAX_SAFE_INTEGER,
    retryDelay: 1000,
  };
}
