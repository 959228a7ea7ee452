import { applyDecorators, UseFilters } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { WsErrorFilter } from './ws-error.filter';
import { routedGateway, type WsRoute } from './ws-route';

/**
 * Declares a gateway on `route`: the adapter runs the route's handshake rules, and whatever a handler throws becomes an error frame for the sender alone.
 */
export function RoutedGateway<P>(route: WsRoute<P>): ClassDecorator {
  return applyDecorators(WebSocketGateway(routedGateway(route)), UseFilters(WsErrorFilter));
}
