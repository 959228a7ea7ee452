import { registerDecorator, type ValidationOptions } from 'class-validator';

export type { JsonValue, TopicData } from '../wire/frames';
import type { TopicData } from '../wire/frames';

function isTopicData(value: unknown): value is TopicData {
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
