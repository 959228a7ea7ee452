import { applyDecorators, UseFilters, UsePipes } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { frameValidation } from './frame-validation.pipe';
import { WsErrorFilter } from './ws-error.filter';
import { routedGateway, type WsRoute } from './ws-route';

/**
 * Declares a gateway on `route`: the adapter runs the route's handshake rules, inbound DTOs are
 * validated, and whatever a handler throws becomes an error frame for the sender alone.
 */
export function RoutedGateway<P>(route: WsRoute<P>): ClassDecorator {
  return applyDecorators(WebSocketGateway(routedGateway(route)), UseFilters(WsErrorFilter), UsePipes(frameValidation));
}
