import { applyDecorators, SetMetadata } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { routedGateway, type WsRoute } from './ws-route';

const ROUTE = Symbol('ws route');

/**
 * Declares a gateway on `route`: the adapter runs the route's handshake rules, and hands every
 * frame to the gateway's `@OnFrame` method; whatever it throws becomes an error frame for the
 * sender alone.
 */
export function RoutedGateway<P>(route: WsRoute<P>): ClassDecorator {
  return applyDecorators(WebSocketGateway(routedGateway(route)), SetMetadata(ROUTE, route));
}

export function routeOf(gateway: object): WsRoute<unknown> | undefined {
  return Reflect.getOwnMetadata(ROUTE, gateway) as WsRoute<unknown> | undefined;
}
