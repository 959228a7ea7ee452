import { ValidationPipe } from '@nestjs/common';
import { InvalidInputError } from '../common/errors';
import { validationMessages } from '../common/validation';

/**
 * Validates `@MessageBody()` DTOs of gateways. Nest's default would surface as an "Internal server
 * error" on a socket; this throws the domain error that `WsErrorFilter` turns into a 400 frame.
 */
export const frameValidation = new ValidationPipe({
  transform: true,
  forbidUnknownValues: true,
  exceptionFactory: (errors) => new InvalidInputError(validationMessages(errors)),
});
