import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { LayerUnavailableError } from '../layer/channel-layer';
import { InvalidInputError, UnknownTopicError } from './errors';

/** Maps the services' domain errors to Nest's usual HTTP error shape. */
@Catch(InvalidInputError, UnknownTopicError, LayerUnavailableError)
export class HttpErrorFilter implements ExceptionFilter {
  catch(error: InvalidInputError | UnknownTopicError | LayerUnavailableError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const status = error instanceof LayerUnavailableError ? HttpStatus.SERVICE_UNAVAILABLE : error.status;
    const message =
      error instanceof InvalidInputError
        ? error.messages
        : error instanceof LayerUnavailableError
          ? 'channel layer unavailable: nothing was sent'
          : error.message;
    response.status(status).json({ statusCode: status, message, error: STATUS_CODES[status] });
  }
}
