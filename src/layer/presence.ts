import type { GroupName } from './group-name';

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
}

/** DI token; the layer module provides the presence of the layer it picked. */
export const Presence = Symbol('Presence');
