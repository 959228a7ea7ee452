import { HttpException, type LoggerService } from '@nestjs/common';
import { ServiceError } from '../../common/errors';
import type { ErrorFrame } from '../../wire/frames';

/** The error frame that answers a frame whose handling threw `error`; unexpected ones are logged. */
export function errorReplyOf(error: unknown, logger: LoggerService): Omit<ErrorFrame, 'type'> {
  if (error instanceof ServiceError) return { code: error.status, msg: error.frameMessage };
  // A Nest exception (a guard's, a pipe's, a library's) answers with its own status, as on HTTP.
  if (error instanceof HttpException && error.getStatus() < 500) {
    return { code: error.getStatus(), msg: httpExceptionMessage(error) };
  }
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return { code: 500, msg: 'internal error' };
}

/** What Nest would send as the `message` of the exception's HTTP response, as one string. */
function httpExceptionMessage(error: HttpException): string {
  const response = error.getResponse();
  const message =
    typeof response === 'object' && response !== null && 'message' in response ? response.message : response;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : error.message;
}
