import type { WsRoute } from './ws-route';

/** One WebSocket route as the boot log shows it: the gateway's class name and its route. */
export interface MappedWsRoute {
  readonly gateway: string;
  readonly route: WsRoute<unknown>;
}

/**
 * The boot log's lines for the WebSocket routes, in the shape of Nest's own for HTTP
 * (`RoutesResolver`'s `ChatController {/api/chat}:`, then `RouterExplorer`'s
 * `Mapped {/api/chat, POST} route`), so that one reading of the log finds every endpoint.
 */
export function wsRouteLines(mapped: readonly MappedWsRoute[]): string[] {
  return mapped.flatMap(({ gateway, route }) => [`${gateway} {${route.path}}:`, `Mapped {${route.path}, WS} route`]);
}
