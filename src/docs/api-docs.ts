import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { TOKEN_SCHEMES } from './api-errors';

/** Where the Swagger UI is served; the OpenAPI document is at `<this>-json`. */
const API_DOCS_PATH = 'api/docs';

const DESCRIPTION = [
  'The REST API of the real-time service: tokens (while dev-login is on), topic snapshots and',
  'broadcasts to `/socket/all`, pushes to a user, group presence, and health.',
  '',
  'Errors have NestJS\'s shape `{"statusCode","message","error"}`. Any request may also get 431',
  '(request line and headers over 16 KiB) and, from a shutdown signal on, 503 with',
  '`Connection: close` (`/health` then answers `draining`). Routes under `/api` are limited to',
  '`HTTP_RATE_PER_MIN` requests a minute per client address (429 with `Retry-After`); these',
  'documents (`/api/docs`, `/api/docs-json`) are not counted.',
  '',
  'The WebSocket endpoints and their frames are described by AsyncAPI in `docs/asyncapi.yaml`.',
].join('\n');

function buildDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('nest-realtime HTTP API')
    .setDescription(DESCRIPTION)
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, TOKEN_SCHEMES.bearer)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'token' }, TOKEN_SCHEMES.header)
    .addApiKey({ type: 'apiKey', in: 'query', name: 'token' }, TOKEN_SCHEMES.query)
    .build();
  return SwaggerModule.createDocument(app, config);
}

/**
 * The Swagger UI's page has inline `<style>` blocks and a `style` attribute, which the
 * service's policy (`style-src 'self'`) forbids; its scripts are files served from here. So
 * under `/api/docs` alone, inline styles are allowed; scripts stay `'self'` only.
 */
function docsContentSecurityPolicy(): RequestHandler {
  return helmet.contentSecurityPolicy({
    directives: {
      'style-src': ["'self'", "'unsafe-inline'"],
      'upgrade-insecure-requests': null,
    },
  });
}

/**
 * Serves the OpenAPI document at `/api/docs-json` and the Swagger UI (self-hosted from
 * swagger-ui-dist) at `/api/docs`. Call after the security headers are set, before `app.init()`.
 * The routes are the HTTP adapter's own, not Nest handlers: no guard runs for them, so the
 * `/api` rate limit does not count them (they serve a document built once, and static files).
 */
export function setupApiDocs(app: INestApplication): void {
  app.use(`/${API_DOCS_PATH}`, docsContentSecurityPolicy());
  // Built on the first request: scanning every controller costs nothing until someone asks.
  SwaggerModule.setup(API_DOCS_PATH, app, () => buildDocument(app), {
    customSiteTitle: 'nest-realtime HTTP API',
    // No badge from validator.swagger.io: the page loads nothing from elsewhere.
    swaggerOptions: { validatorUrl: null },
  });
}
