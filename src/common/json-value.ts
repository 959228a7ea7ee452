import { registerDecorator, type ValidationOptions } from 'class-validator';

/** Any value JSON can carry. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What a topic's `data` may be: a string (as in the seeds), an array or an object. */
export type TopicData = string | JsonValue[] | { [key: string]: JsonValue };

export function isTopicData(value: unknown): value is TopicData {
  return typeof value === 'string' || (typeof value === 'object' && value !== null);
}

/** Refuses null, numbers and booleans (CONTRACT.md, /socket/all). */
export function IsTopicData(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isTopicData',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: `${String(propertyName)} must be a string, an array or an object`, ...options },
      validator: { validate: isTopicData },
    });
}
