import { BadRequestException, HttpException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { exceedsJsonDepth, JSON_TOO_DEEP } from './json-depth';

/**
 * body-parser's `verify` hook: sees the raw bytes before JSON.parse, and refuses a body nested
 * deeper than `MAX_JSON_DEPTH`. body-parser passes on what it throws with that error's status,
 * and Nest answers a Nest exception in its usual shape, without logging it.
 */
function refuseDeepJson(_request: IncomingMessage, _response: unknown, body: Buffer, encoding: string): void {
  // body-parser also accepts UTF-16 and UTF-32; in those, ASCII bytes may be halves of other
  // characters, so the text is scanned as UTF-8.
  if (exceedsJsonDepth(/^utf-?8$/i.test(encoding) ? body : asUtf8(body, encoding))) {
    throw new BadRequestException(JSON_TOO_DEEP);
  }
}

function asUtf8(body: Buffer, encoding: string): Buffer {
  try {
    return Buffer.from(new TextDecoder(encoding).decode(body));
  } catch {
    throw new UnsupportedMediaTypeException(`unsupported charset "${encoding}"`);
  }
}

/**
 * Options of the JSON body parser (`app.useBodyParser('json', …)`, before init). Nest's types
 * leave `verify` out (it sets its own for `rawBody`, which this app does not use); an object
 * passed by reference keeps it, and the limit is body-parser's default, stated.
 */
export const JSON_BODY_OPTIONS = { limit: '100kb', verify: refuseDeepJson };

/** What body-parser passes on: an http-errors error (`status`, `expose`) or anything else. */
interface ParserError {
  status?: unknown;
  expose?: unknown;
  message?: unknown;
}

/**
 * An express error handler for the body parsers' refusals (413 too large, 415 charset, 400
 * encoding…): Nest only recognises their invalid-JSON error, and answers the others without the
 * `error` field and logs each one, object and all. These become Nest exceptions in its usual
 * shape, logged by nobody. Anything else goes on as it was.
 */
export function bodyParserErrors(error: unknown, _request: Request, _response: Response, next: NextFunction): void {
  const { status, expose, message } = (error ?? {}) as ParserError;
  if (error instanceof HttpException || typeof status !== 'number' || expose !== true || status >= 500)
    return next(error);
  next(new HttpException({ statusCode: status, message: String(message), error: STATUS_CODES[status] }, status));
}
