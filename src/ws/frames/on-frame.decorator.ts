import type { Peer } from '../peers/peer';

/** What a frame method may answer its sender with: a frame object, a text, or nothing. */
export type FrameReply = object | string | undefined | void;

/** A frame DTO: a flat class with class-validator decorators. */
export type FrameDto<F extends object = object> = new () => F;

/** Which method of a gateway takes its frames, and what they are checked against. */
export interface FrameMethodSpec {
  readonly method: string | symbol;
  /** Absent: the method takes the text as it came, unparsed (the echo). */
  readonly dto?: FrameDto;
}

type FrameMethod<F> = (peer: Peer<never>, frame: F) => FrameReply | Promise<FrameReply>;
type FrameMethodDecorator<F> = <M extends FrameMethod<F>>(
  target: object,
  method: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => void;

const FRAME_METHOD = Symbol('frame method');

/**
 * Marks the gateway method that takes every frame of its endpoint: `method(peer, frame)`. With a
 * DTO the frame is parsed JSON validated against it (a failure answers 400 and never reaches the
 * method); without one it is the text as it came. The adapter calls it straight from the socket,
 * without Nest's per-message context (guards, pipes, interceptors, filters): that context cost
 * 6–9 µs of CPU per chat message, 9–14% (bench/README.md), and the gateways used none of it.
 */
export function OnFrame<F extends object>(dto: FrameDto<F>): FrameMethodDecorator<F>;
export function OnFrame(): FrameMethodDecorator<string>;
export function OnFrame(dto?: FrameDto): FrameMethodDecorator<never> {
  return (target, method) => {
    const gateway = target.constructor;
    if (Reflect.hasOwnMetadata(FRAME_METHOD, gateway)) {
      throw new Error(`${gateway.name}: one @OnFrame method per gateway, it takes every frame`);
    }
    const spec: FrameMethodSpec = { method, dto };
    Reflect.defineMetadata(FRAME_METHOD, spec, gateway);
  };
}

export function frameMethodOf(gateway: object): FrameMethodSpec | undefined {
  return Reflect.getOwnMetadata(FRAME_METHOD, gateway) as FrameMethodSpec | undefined;
}
