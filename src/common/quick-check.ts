import { getMetadataStorage } from 'class-validator';
import { isSent } from './omittable';

type ValueCheck = (value: unknown) => boolean;

interface FieldRules {
  /** Its checks are skipped when the value is undefined (`IsOmittable`), or also null (`IsOptional`). */
  optional: false | 'undefined' | 'nullish';
  checks: ValueCheck[];
}

/** The decorators a quick check knows, by class-validator's name for them. */
const KNOWN: Readonly<Record<string, (constraints: unknown[] | undefined) => ValueCheck | undefined>> = {
  isString: () => (value) => typeof value === 'string',
  // class-validator counts a surrogate pair as one character, so `length` is never less than
  // its count: whatever passes here passes there (the reverse may need class-validator).
  maxLength: (constraints) => {
    const max = constraints?.[0];
    return typeof max === 'number' ? (value) => typeof value === 'string' && value.length <= max : undefined;
  },
  // Only a minimum of one: `length` may exceed class-validator's count, so a higher minimum could
  // pass here and fail there; any non-empty string has at least one character for both.
  minLength: (constraints) =>
    constraints?.[0] === 1 ? (value) => typeof value === 'string' && value.length >= 1 : undefined,
};

/** A quick yes for a DTO instance; false means "ask class-validator", which also names the fields. */
export type QuickCheck = (instance: object) => boolean;

const compiled = new WeakMap<object, QuickCheck | null>();

/**
 * Compiles, once per DTO class, a check from its own class-validator decorators: it accepts only
 * what class-validator accepts, at a fraction of the cost (class-validator filters every
 * registered constraint of the app on each call). Null when a decorator is outside the few
 * above (nested DTOs, groups, `each`…): the caller then uses class-validator alone.
 */
export function quickCheck(dto: abstract new () => object): QuickCheck | null {
  let check = compiled.get(dto);
  if (check === undefined) {
    check = compile(dto);
    compiled.set(dto, check);
  }
  return check;
}

function compile(dto: abstract new () => object): QuickCheck | null {
  const fields = new Map<string, FieldRules>();
  for (const meta of getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false)) {
    if (meta.each || meta.always || (meta.groups?.length ?? 0) > 0) return null;
    let rules = fields.get(meta.propertyName);
    if (!rules) fields.set(meta.propertyName, (rules = { optional: false, checks: [] }));
    if (meta.type === 'conditionalValidation' && meta.name === 'isOptional') {
      rules.optional = 'nullish';
      continue;
    }
    if (meta.type === 'conditionalValidation' && meta.constraints?.[0] === isSent) {
      rules.optional = 'undefined';
      continue;
    }
    const make = meta.type === 'customValidation' && meta.name ? KNOWN[meta.name] : undefined;
    const valueCheck = make?.(meta.constraints);
    if (!valueCheck) return null;
    rules.checks.push(valueCheck);
  }
  if (fields.size === 0) return null;
  const entries = [...fields];
  return (instance) => {
    for (const [name, { optional, checks }] of entries) {
      const value = (instance as Record<string, unknown>)[name];
      if (value === undefined ? optional : optional === 'nullish' && value === null) continue;
      for (const valueCheck of checks) if (!valueCheck(value)) return false;
    }
    return true;
  };
}
