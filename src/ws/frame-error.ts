import type { ErrorCode } from '../wire/serialise';

/** Thrown from a gateway to answer the frame's sender with `{"type":"error","code","msg"}`. */
export class FrameError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
