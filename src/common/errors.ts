/**
 * The one error type that services throw at a client, with the HTTP status it means. Both
 * transports read it: the HTTP filter (`http-error.filter.ts`) answers with `status` in Nest's
 * error shape, and the frame error path (`ws/frames/frame-errors.ts`) with an error frame whose
 * `code` is the same `status`. So a status is chosen once, here, by the subclass.
 */
export abstract class ServiceError extends Error {
  abstract readonly status: number;

  /** The `message` of the HTTP answer; subclasses may say more than one line, or say it for HTTP. */
  get httpMessage(): string | string[] {
    return this.message;
  }

  /** The `msg` of the error frame. */
  get frameMessage(): string {
    return this.message;
  }
}

export class UnknownTopicError extends ServiceError {
  readonly status = 404;
  constructor(readonly topic: string) {
    super(`unknown topic: ${topic}`);
  }
}

/** Input that failed validation; each message names the field, as class-validator words it. */
export class InvalidInputError extends ServiceError {
  readonly status = 400;
  constructor(readonly messages: string[]) {
    super(messages.join('; '));
  }

  override get httpMessage(): string[] {
    return this.messages;
  }
}
