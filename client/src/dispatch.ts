// Who hears what: handlers by frame `type` (the seeds' `switch (data.type)`), for every frame,
// for gaps, for state changes and for errors. A handler that throws is reported and skipped: one broken
// widget on a page must not stop the others from updating, nor the socket from reconnecting.

import type {
  ClientError,
  ConnectionState,
  FrameInfo,
  GapFrame,
  InboundFrame,
  TypedFrame,
  Unsubscribe,
} from './types.js';

export type Handler<T> = (value: T) => void;
/** A frame handler: the frame, and how it arrived (live, or in the replay after a reconnect). */
export type FrameHandler<T> = (frame: T, info: FrameInfo) => void;

/** What every frame that is not part of a replay is delivered with. */
export const LIVE: FrameInfo = Object.freeze({ replayed: false });

export class Dispatcher {
  private readonly byType = new Map<string, Set<FrameHandler<TypedFrame>>>();
  private readonly frameHandlers = new Set<FrameHandler<InboundFrame>>();
  private readonly gapHandlers = new Set<Handler<GapFrame>>();
  private readonly stateHandlers = new Set<Handler<ConnectionState>>();
  private readonly errorHandlers = new Set<Handler<ClientError>>();

  /** Adds a handler for frames of `type`; true when it is the first for that type. */
  addTypeHandler(type: string, handler: FrameHandler<TypedFrame>): boolean {
    let handlers = this.byType.get(type);
    if (!handlers) this.byType.set(type, (handlers = new Set()));
    const first = handlers.size === 0;
    handlers.add(handler);
    return first;
  }

  /** Removes a handler for frames of `type`; true when it was the last for that type. */
  removeTypeHandler(type: string, handler: FrameHandler<TypedFrame>): boolean {
    const handlers = this.byType.get(type);
    if (!handlers?.delete(handler) || handlers.size > 0) return false;
    this.byType.delete(type);
    return true;
  }

  /** Every `type` that has at least one handler. */
  types(): string[] {
    return [...this.byType.keys()];
  }

  onFrame(handler: FrameHandler<InboundFrame>): Unsubscribe {
    return subscribe(this.frameHandlers, handler);
  }

  onGap(handler: Handler<GapFrame>): Unsubscribe {
    return subscribe(this.gapHandlers, handler);
  }

  onState(handler: Handler<ConnectionState>): Unsubscribe {
    return subscribe(this.stateHandlers, handler);
  }

  onError(handler: Handler<ClientError>): Unsubscribe {
    return subscribe(this.errorHandlers, handler);
  }

  /**
   * Parses one inbound text frame (other than `pong`). Anything that is not a JSON object is
   * dropped and reported as a `frame` error, never thrown: a bad frame must not kill the socket.
   */
  parse(data: string): InboundFrame | undefined {
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch {
      this.error({ kind: 'frame', message: `a frame that is not JSON was dropped: ${data.slice(0, 80)}` });
      return undefined;
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      this.error({ kind: 'frame', message: `a frame that is not a JSON object was dropped: ${data.slice(0, 80)}` });
      return undefined;
    }
    return frame as InboundFrame;
  }

  /** Hands a parsed frame to the `onFrame` handlers, then to those of its `type`. */
  frame(frame: InboundFrame, info: FrameInfo = LIVE): void {
    for (const handler of [...this.frameHandlers]) this.call(() => handler(frame, info));
    const type = frame.type;
    const handlers = typeof type === 'string' ? this.byType.get(type) : undefined;
    if (handlers) for (const handler of [...handlers]) this.call(() => handler(frame as TypedFrame, info));
  }

  /** A gap frame: the `onGap` handlers first, then as any other frame. */
  gap(frame: GapFrame): void {
    this.notify(this.gapHandlers, frame);
    this.frame(frame as unknown as InboundFrame);
  }

  state(state: ConnectionState): void {
    this.notify(this.stateHandlers, state);
  }

  error(error: ClientError): void {
    for (const handler of [...this.errorHandlers]) {
      try {
        handler(error);
      } catch {
        // An error handler that throws has nowhere left to report to.
      }
    }
  }

  /** Calls each handler (a copy of the set: handlers may unsubscribe while it runs). */
  private notify<T>(handlers: Set<Handler<T>>, value: T): void {
    for (const handler of [...handlers]) this.call(() => handler(value));
  }

  private call(run: () => void): void {
    try {
      run();
    } catch (cause) {
      this.error({ kind: 'handler', message: `a handler threw: ${describe(cause)}`, cause });
    }
  }
}

function subscribe<T>(handlers: Set<T>, handler: T): Unsubscribe {
  handlers.add(handler);
  return () => handlers.delete(handler);
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
