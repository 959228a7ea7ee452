import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { replyText } from '../../wire/serialise';
import { validateFlatFrame } from '../../common/validation';
import { errorReplyOf } from './frame-errors';
import { frameMethodOf, type FrameMethodSpec, type FrameReply } from './on-frame.decorator';
import type { Peer } from '../peers/peer';
import { routeOf } from '../routed-gateway.decorator';
import { wsRouteLines, type MappedWsRoute } from '../route-log';
import type { WsRoute } from '../ws-route';

type BoundFrameMethod = (peer: Peer, frame: unknown) => FrameReply | Promise<FrameReply>;

/** One endpoint's `@OnFrame` method, bound to its gateway. */
export class FrameHandler {
  /** The handler of `gateway`'s `@OnFrame` method; undefined when it has none. */
  static of(gateway: object, logger: Logger): FrameHandler | undefined {
    const spec = frameMethodOf(gateway.constructor);
    if (!spec) return undefined;
    const method = (gateway as Record<string | symbol, BoundFrameMethod>)[spec.method];
    return new FrameHandler(spec, method.bind(gateway), logger);
  }

  private constructor(
    private readonly spec: FrameMethodSpec,
    private readonly method: BoundFrameMethod,
    private readonly logger: Logger,
  ) {}

  /** The method takes raw text rather than a JSON object. */
  get takesText(): boolean {
    return this.spec.dto === undefined;
  }

  /** Validates, calls, and answers the sender: the reply, or the error frame. Never rejects. */
  async handle(peer: Peer, value: unknown): Promise<void> {
    try {
      const frame = this.spec.dto ? validateFlatFrame(this.spec.dto, value) : value;
      const reply = await this.method(peer, frame);
      if (typeof reply === 'string') peer.sendText(reply);
      else if (reply !== undefined) peer.sendText(replyText(reply));
    } catch (error) {
      const { code, msg } = errorReplyOf(error, this.logger);
      peer.sendError(code, msg);
    }
  }
}

/** The frame handler of every `@RoutedGateway`, by route, found among the app's providers. */
@Injectable()
export class FrameDispatcher implements OnModuleInit {
  private readonly logger = new Logger('Frames');
  private readonly handlers = new Map<WsRoute<unknown>, FrameHandler>();

  constructor(private readonly discovery: DiscoveryService) {}

  /** Finds every gateway's frame handler, and logs every WebSocket route as Nest logs HTTP ones. */
  onModuleInit(): void {
    const mapped: MappedWsRoute[] = [];
    for (const { instance, metatype } of this.discovery.getProviders()) {
      const route = metatype ? routeOf(metatype) : undefined;
      if (!route || !metatype) continue;
      mapped.push({ gateway: metatype.name, route });
      const handler = instance ? FrameHandler.of(instance as object, this.logger) : undefined;
      if (handler) this.handlers.set(route, handler);
    }
    const routeLogger = new Logger('WsRoutes');
    for (const line of wsRouteLines(mapped)) routeLogger.log(line);
  }

  /** Undefined for an endpoint that takes no frames (but `ping`). */
  handlerOf(route: WsRoute<unknown>): FrameHandler | undefined {
    return this.handlers.get(route);
  }
}
