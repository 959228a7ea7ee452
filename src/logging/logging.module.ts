import { DynamicModule, Module } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';
import { redactUrl } from './redact';
import { rootLogger, type PinoLevel } from './root-logger';

/** What `pino-std-serializers` hands a custom request serializer. */
interface SerializedRequest {
  id: unknown;
  method: string;
  url: string;
  headers: Record<string, unknown>;
  remoteAddress?: string;
  remotePort?: number;
}

/**
 * The request as logged: its URL with any `token` query parameter redacted, and no parsed
 * `query` (which would hold the token again). The credential headers are redacted by path.
 */
function serializeRequest(req: SerializedRequest): Record<string, unknown> {
  return {
    id: req.id,
    method: req.method,
    url: redactUrl(req.url),
    headers: req.headers,
    remoteAddress: req.remoteAddress,
    remotePort: req.remotePort,
  };
}

/**
 * Logs through pino (`nestjs-pino`): `bootstrap.ts` makes it Nest's logger, so every
 * `new Logger(context)` writes a pino line with `context` as a field. HTTP requests on the
 * application's routes are logged by pino-http when they complete, at `debug`: at `info` they
 * would flood the log under load, and a failure is logged by the code that fails.
 */
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig, level: PinoLevel = config.LOG_LEVEL): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            logger: rootLogger(config.logFormat, level),
            // The response's status only: its headers are the same security headers every time.
            serializers: {
              req: serializeRequest,
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
            },
            customLogLevel: (_req: IncomingMessage, _res: ServerResponse, _error?: Error) => 'debug',
            // A line logged while handling a request carries its id, not the whole request again.
            quietReqLogger: true,
          },
        }),
      ],
    };
  }
}
