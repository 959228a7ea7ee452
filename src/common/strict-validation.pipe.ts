import { Injectable, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { validateInput } from './validation';

/**
 * The app's global pipe: Nest's `ValidationPipe` with `whitelist` and `forbidNonWhitelisted`, so a
 * REST body with a field its DTO does not declare is a 400 naming the field. Bodies are checked
 * by `validateInput` (the top-level fields copied onto the DTO, no class-transformer), so free
 * JSON inside them (a push's `event`) reaches the controller exactly as it was sent: not rebuilt,
 * not stripped, and never walked recursively. Route and query parameters take Nest's own path.
 */
@Injectable()
export class StrictValidationPipe extends ValidationPipe {
  constructor() {
    super({ transform: true, whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const dto = metadata.metatype as (new () => object) | undefined;
    if (metadata.type !== 'body' || !dto || !this.toValidate(metadata)) return super.transform(value, metadata);
    return validateInput(dto, value, { strict: true });
  }
}
