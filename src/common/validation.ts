import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validate, validateSync, type ValidationError } from 'class-validator';
import { InvalidInputError } from './errors';
import { quickCheck } from './quick-check';

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

/** Keys never copied onto a DTO instance: they would change its prototype or hide its class. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Validates an untrusted value against a flat DTO (string and number fields, no nested DTOs, no
 * class-transformer decorators): the fields are copied onto a new instance, which the DTO's
 * `quickCheck` accepts, or else `validateSync` judges and names the failing fields. The same
 * verdicts as `validateInput`, without class-transformer, on every inbound frame.
 */
export function validateFlatFrame<T extends object>(dto: new () => T, input: unknown): T {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidInputError(['a frame must be a JSON object']);
  }
  const instance = new dto();
  const fields = input as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!UNSAFE_KEYS.has(key)) (instance as Record<string, unknown>)[key] = fields[key];
  }
  if (quickCheck(dto)?.(instance)) return instance;
  const errors = validateSync(instance, { forbidUnknownValues: true });
  if (errors.length > 0) throw new InvalidInputError(validationMessages(errors));
  return instance;
}
