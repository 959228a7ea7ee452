import type { GroupName } from './group-name';

/** One open socket, as a claim sees it: its member id (unique on every instance) and its user. */
export interface SocketClaim {
  readonly id: string;
  readonly userId: string;
}

/**
 * Who is connected where: the members of a group on every live instance. Kept apart from
 * `ChannelLayer` (as Centrifuge keeps its PresenceManager apart from its Broker): readers of
 * presence never send, and the layer's delivery never reads it but through `SendOptions`.
 */
export interface Presence {
  /** Members of `group` across every live instance. */
  countMembers(group: GroupName): Promise<number>;
  /** Whether `userId` has at least one member in `group` on any live instance. */
  hasUser(group: GroupName, userId: string): Promise<boolean>;
  /**
   * Claims one of `limit` open sockets for `socket.userId`, counted on every live instance, in
   * one step (two instances cannot both take the last one). False when the user already holds
   * `limit`. Claiming an id already claimed is true and claims nothing more. Rejects with
   * `LayerUnavailableError` only when the transport is down.
   */
  claimSocket(socket: SocketClaim, limit: number): Promise<boolean>;
  /** Gives back `socket`'s claim, if it holds one. Never rejects (repaired on reconnect). */
  releaseSocket(socket: SocketClaim): Promise<void>;
}

/** DI token; the layer module provides the presence of the layer it picked. */
export const Presence = Symbol('Presence');
