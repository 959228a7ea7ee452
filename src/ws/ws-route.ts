import type { GatewayMetadata } from '@nestjs/websockets';
import type { AuthUser } from '../auth/user';
import type { GroupName } from '../layer/group-name';

/** Why a handshake is refused, as the HTTP status the contract gives it. */
export class HandshakeRefusal extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 429 | 503,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Everything the handshake needs to know about one endpoint, declared beside its gateway. The
 * adapter checks it all before the upgrade, so nothing is allocated for a refused handshake, and
 * joins `groups` before the 101 is written, so an open socket never misses a frame.
 */
export interface WsRoute<P> {
  /** A path pattern with `:name` parameters (path-to-regexp). */
  readonly path: string;
  /** Turns the raw path parameters into the endpoint's own; throw a 400 refusal when malformed. */
  parse(raw: Readonly<Record<string, string>>): P;
  /** False refuses the handshake with 403. */
  authorize(user: AuthUser, params: P): boolean;
  /** The groups the socket belongs to for its whole life. */
  groups(user: AuthUser, params: P): GroupName[];
  /**
   * How a socket of this endpoint catches up on its one group's history. `since`: with
   * `?since=<id>`, it first gets every message after that id. `inbox`: the same, and without
   * `since` every message after the last one the user received (the push inbox). Absent: the
   * endpoint has no history and ignores `since`.
   */
  readonly resume?: 'since' | 'inbox';
}

/** The Nest gateway option that carries a route to the adapter. */
export interface RoutedGatewayOptions extends GatewayMetadata {
  path: string;
  route: WsRoute<unknown>;
}

export function routedGateway<P>(route: WsRoute<P>): RoutedGatewayOptions {
  return { path: route.path, route };
}

export const anyUser = (): boolean => true;
export const noParams = (): Record<string, never> => ({});
