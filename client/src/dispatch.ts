// Who hears what: handlers by frame `type` (the seeds' `switch (data.type)`), for every frame,
// for state changes and for errors. A handler that throws is reported and skipped: one broken
// widget on a page must not stop the others from updating, nor the socket from reconnecting.

import type { ClientError, ConnectionState, InboundFrame, TypedFrame, Unsubscribe } from './types.js';

export type Handler<T> = (value: T) => void;

export class Dispatcher {
  private readonly byType = new Map<string, Set<Handler<TypedFrame>>>();
  private readonly frameHandlers = new Set<Handler<InboundFrame>>();
  private readonly stateHandlers = new Set<Handler<ConnectionState>>();
  private readonly errorHandlers = new Set<Handler<ClientError>>();

  /** Adds a handler for frames of `type`; true when it is the first for that type. */
  addTypeHandler(type: string, handler: Handler<TypedFrame>): boolean {
    let handlers = this.byType.get(type);
    if (!handlers) this.byType.set(type, (handlers = new Set()));
    const first = handlers.size === 0;
    handlers.add(handler);
    return first;
  }

  removeTypeHandler(type: string, handler: Handler<TypedFrame>): void {
    const handlers = this.byType.get(type);
    handlers?.delete(handler);
    if (handlers?.size === 0) this.byType.delete(type);
  }

  /** Every `type` that has at least one handler. */
  types(): string[] {
    return [...this.byType.keys()];
  }

  onFrame(handler: Handler<InboundFrame>): Unsubscribe {
    return subscribe(this.frameHandlers, handler);
  }

  onState(handler: Handler<ConnectionState>): Unsubscribe {
    return subscribe(this.stateHandlers, handler);
  }

  onError(handler: Handler<ClientError>): Unsubscribe {
    return subscribe(this.errorHandlers, handler);
  }

  /**
   * Routes one inbound text frame (other than `pong`). Anything that is not a JSON object is
   * dropped and reported as a `frame` error, never thrown: a bad frame must not kill the socket.
   */
  text(data: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch {
      this.error({ kind: 'frame', message: `a frame that is not JSON was dropped: ${data.slice(0, 80)}` });
      return;
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      this.error({ kind: 'frame', message: `a frame that is not a JSON object was dropped: ${data.slice(0, 80)}` });
      return;
    }
    const inbound = frame as InboundFrame;
    this.notify(this.frameHandlers, inbound);
    const type = inbound.type;
    const handlers = typeof type === 'string' ? this.byType.get(type) : undefined;
    if (handlers) this.notify(handlers, inbound as TypedFrame);
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
    for (const handler of [...handlers]) {
      try {
        handler(value);
      } catch (cause) {
        this.error({ kind: 'handler', message: `a handler threw: ${describe(cause)}`, cause });
      }
    }
  }
}

function subscribe<T>(handlers: Set<Handler<T>>, handler: Handler<T>): Unsubscribe {
  handlers.add(handler);
  return () => handlers.delete(handler);
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
