import { ValidateIf, type ValidationOptions } from 'class-validator';

/** The condition of `IsOmittable`: the field was sent. Exported so the quick check knows it. */
export const isSent = (_object: object, value: unknown): boolean => value !== undefined;

/**
 * An optional field that may be left out but not sent as null: unlike `IsOptional`, which skips
 * the field's checks for null too, a null `cid` or `to_user` fails them (400 naming the field)
 * instead of reaching the service as if it were a value.
 */
export function IsOmittable(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf(isSent, options);
}
