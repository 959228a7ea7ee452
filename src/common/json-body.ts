import { BadRequestException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
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
