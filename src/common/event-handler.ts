import type { Logger } from '@nestjs/common';
import type { ClassConstructor } from 'class-transformer';
import { validateInput } from './validation';

/**
 * Runs one microservice event: validate the payload, act on it. An event has nobody to answer,
 * so a bad one is logged and dropped, and the next one is handled as usual.
 */
export async function handleEvent<T extends object>(
  logger: Logger,
  pattern: string,
  dto: ClassConstructor<T>,
  payload: unknown,
  act: (event: T) => Promise<unknown>,
): Promise<void> {
  try {
    await act(await validateInput(dto, payload));
  } catch (error) {
    logger.warn(`${pattern} event dropped: ${error instanceof Error ? error.message : String(error)}`);
  }
}
