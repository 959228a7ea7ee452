import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { InvalidInputError } from './errors';

/** Flattens nested class-validator errors into messages that name the field ("data must be …"). */
export function validationMessages(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((m) => (parent ? `${parent}.${m}` : m));
    return [...own, ...validationMessages(error.children ?? [], path)];
  });
}

/** Validates an untrusted value against a DTO class; throws `InvalidInputError` naming the fields. */
export async function validateInput<T extends object>(dto: ClassConstructor<T>, input: unknown): Promise<T> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidInputError(['the body must be a JSON object']);
  }
  const instance = plainToInstance(dto, input);
  const errors = await validate(instance, { forbidUnknownValues: true });
  if (errors.length > 0) throw new InvalidInputError(validationMessages(errors));
  return instance;
}
