import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { ServiceError } from './errors';

/** Answers a `ServiceError` with its status, in Nest's usual HTTP error shape. */
@Catch(ServiceError)
export class HttpErrorFilter implements ExceptionFilter {
  catch(error: ServiceError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const { status } = error;
    response.status(status).json({ statusCode: status, message: error.httpMessage, error: STATUS_CODES[status] });
  }
}
