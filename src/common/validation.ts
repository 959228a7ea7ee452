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

/** Keys never copied onto a DTO instance: they would change its prototype or hide its class. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** class-validator's own wording for a field the DTO does not declare (`forbidNonWhitelisted`). */
const unknownField = (key: string): string => `property ${key} should not exist`;

export interface InputRules {
  /** Refuse fields the DTO does not declare, naming each (REST bodies). Otherwise they are kept. */
  strict?: boolean;
}

/**
 * Validates an untrusted JSON value against a DTO whose fields are plain values (no nested DTO
 * classes): the top-level fields are copied onto a new instance, values by reference, and
 * class-validator judges it. No class-transformer: it recursed through free JSON (a notify's
 * `data`, a push's `event`), overflowing the stack on deep input and failing on a `constructor`
 * key, and rebuilt it; here free JSON reaches the service as it was parsed, byte for byte.
 * Throws `InvalidInputError` naming the fields.
 */
export async function validateInput<T extends object>(
  dto: new () => T,
  input: unknown,
  { strict = false }: InputRules = {},
): Promise<T> {
  if (!isJsonObject(input)) throw new InvalidInputError(['the body must be a JSON object']);
  const instance = copyFields(dto, input);
  const errors = await validate(instance, {
    forbidUnknownValues: true,
    whitelist: strict,
    forbidNonWhitelisted: strict,
  });
  const messages = validationMessages(errors);
  // Never copied, so class-validator cannot see them: named here, in its words.
  if (strict) for (const key of Object.keys(input)) if (UNSAFE_KEYS.has(key)) messages.push(unknownField(key));
  if (messages.length > 0) throw new InvalidInputError(messages);
  return instance;
}

/**
 * Validates an untrusted value against a flat DTO (string and number fields, no nested DTOs, no
 * class-transformer decorators): the fields are copied onto a new instance, which the DTO's
 * `quickCheck` accepts, or else `validateSync` judges and names the failing fields. The same
 * verdicts as `validateInput`, synchronously and cheaply, on every inbound frame.
 */
export function validateFlatFrame<T extends object>(dto: new () => T, input: unknown): T {
  if (!isJsonObject(input)) throw new InvalidInputError(['a frame must be a JSON object']);
  const instance = copyFields(dto, input);
  if (quickCheck(dto)?.(instance)) return instance;
  const errors = validateSync(instance, { forbidUnknownValues: true });
  if (errors.length > 0) throw new InvalidInputError(validationMessages(errors));
  return instance;
}

function isJsonObject(input: unknown): input is Record<string, unknown> {
  return typeof input === 'object' && input !== null && !Array.isArray(input);
}

/** A new `dto` with the input's own fields but the unsafe ones, values by reference. */
function copyFields<T extends object>(dto: new () => T, input: Record<string, unknown>): T {
  const instance = new dto();
  for (const key of Object.keys(input)) {
    if (!UNSAFE_KEYS.has(key)) (instance as Record<string, unknown>)[key] = input[key];
  }
  return instance;
}
