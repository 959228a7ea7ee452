/**
 * Domain errors that services throw. Each transport maps them to its own shape: HTTP statuses in
 * `http-error.filter.ts`, error frames in `ws/frame-errors.ts`. `LayerUnavailableError`
 * (layer/channel-layer.ts) is the third, mapped to 503 by both.
 */
export class UnknownTopicError extends Error {
  readonly status = 404;
  constructor(readonly topic: string) {
    super(`unknown topic: ${topic}`);
  }
}

/** Input that failed validation; each message names the field, as class-validator words it. */
export class InvalidInputError extends Error {
  readonly status = 400;
  constructor(readonly messages: string[]) {
    super(messages.join('; '));
  }
}
