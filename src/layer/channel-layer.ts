import type { GroupName } from './group-name';
import type { NumberedFrame, UnnumberedFrame } from './frame';

/**
 * One local connection, as the layer sees it. The layer never touches a socket: it hands the member
 * the finished bytes of a frame, the same Buffer for every member of a group send.
 */
export interface GroupMember {
  /** Unique across every instance sharing the layer (see `ChannelLayer.newMemberId`). */
  readonly id: string;
  /** The authenticated user behind the connection: what `hasUser` answers about. */
  readonly userId: string;
  /**
   * Called once per frame, synchronously, in send order. It must not throw for a closed peer
   * (drop the frame instead); a throw is caught and logged, and delivery to the others goes on.
   */
  deliver(frame: NumberedFrame): void;
}

/** Rejection for anything the layer cannot do because its transport (Redis) is unreachable. */
export class LayerUnavailableError extends Error {
  constructor(cause?: unknown) {
    super('channel layer unavailable', { cause });
    this.name = 'LayerUnavailableError';
  }
}

/**
 * The channel layer: groups of connections spread over every instance, as in Django Channels'
 * channel layer spec, with the ids and presence the wire contract needs.
 *
 * Delivery: at most once per member per send, in send order within a group (ids increase in that
 * order on every instance). A send to a group with no member anywhere succeeds and reaches nobody.
 * Delivery is always asynchronous: `send` resolves before, or while, members receive the frame.
 *
 * Names: a group is 1–100 characters of `[A-Za-z0-9_.-]` (see `group-name.ts`); user-facing names
 * (rooms, user ids) never contain `.`, which the services use to keep kinds of group apart.
 *
 * Failure: only transport failure rejects, with `LayerUnavailableError`; `leave` and `disconnect`
 * never reject (the local removal is what matters; presence is repaired on reconnect). A `send`
 * refused because the layer was already unavailable reached nobody. A `send` whose connection
 * dropped mid-flight may have been delivered: callers must not retry it blindly. A rejected `join`
 * left the member out.
 */
export interface ChannelLayer {
  readonly kind: 'memory' | 'redis';

  /** False while the transport is down: callers answer 503 rather than accept a message. */
  isAvailable(): boolean;

  /** A member id that no other connection on any instance has. */
  newMemberId(): string;

  /** Makes `member` reachable through `sendTo`. Idempotent. */
  connect(member: GroupMember): Promise<void>;
  /** Leaves every group `member` is in and makes it unreachable. Never rejects. */
  disconnect(member: GroupMember): Promise<void>;

  /** Resolves once every frame sent to `group` after this point is delivered to `member`. */
  join(group: GroupName, member: GroupMember): Promise<void>;
  /** Frames sent after this resolves are no longer delivered to `member`. */
  leave(group: GroupName, member: GroupMember): Promise<void>;

  /**
   * Takes the group's next id, writes it into `frame` as its `id` field, and delivers the result
   * to every member of `group` on every instance. With `snapshot`, stores `snapshot.value` under
   * `snapshot.key` in the same step, so a reader of the snapshot never sees a value older than
   * the last frame it was sent. Resolves to the id.
   */
  send(group: GroupName, frame: UnnumberedFrame, snapshot?: SnapshotWrite): Promise<number>;

  /**
   * `send`, but only when `userId` has a member in `group` on a live instance (as `hasUser`
   * answers); otherwise nothing is sent, no id is taken, and it resolves to null. The check and
   * the send are one step (one script on Redis): the answer cannot go stale in between, and a chat
   * message costs one round trip.
   */
  sendIfPresent(group: GroupName, userId: string, frame: UnnumberedFrame): Promise<number | null>;

  /**
   * Delivers `frame` as it is to one member, wherever it is connected. False when no live
   * instance can have it; true for another instance's member means that instance received it.
   */
  sendTo(memberId: string, frame: NumberedFrame): Promise<boolean>;

  /** Takes the group's next id without sending anything (for frames numbered in two groups). */
  nextId(group: GroupName): Promise<number>;

  /** Members of `group` across every live instance. */
  countMembers(group: GroupName): Promise<number>;
  /** Whether `userId` has at least one member in `group` on any live instance. */
  hasUser(group: GroupName, userId: string): Promise<boolean>;

  /** The JSON text last stored under `key`, or null. */
  readSnapshot(key: SnapshotKey): Promise<string | null>;
}

/** Snapshot keys share the group-name alphabet, so they cannot reach another key. */
export type SnapshotKey = GroupName;

export interface SnapshotWrite {
  key: SnapshotKey;
  /** JSON text. */
  value: string;
}

/** DI token: an interface and its token share a name (the habit of @nestjs/throttler). */
export const ChannelLayer = Symbol('ChannelLayer');
