import { ServiceError } from '../common/errors';
import type { GroupName } from './group-name';
import type { NumberedFrame, UnnumberedFrame } from '../wire/numbered';

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
export class LayerUnavailableError extends ServiceError {
  readonly status = 503;
  constructor(cause?: unknown) {
    super('channel layer unavailable', { cause });
    this.name = 'LayerUnavailableError';
  }

  override get httpMessage(): string {
    return 'channel layer unavailable: nothing was sent';
  }

  override get frameMessage(): string {
    return 'service unavailable: message not sent';
  }
}

/**
 * The channel layer: groups of connections spread over every instance, as in Django Channels'
 * channel layer spec, with the ids and history the wire contract needs. Who is in a group is a
 * separate interface, `Presence`.
 *
 * Ids and history: a send takes the group's next id (the previous one plus one), appends the
 * numbered frame to the group's history and delivers it, as one step: no reader sees a frame in
 * history that members will not also get live, or the reverse. History keeps the last
 * `historySize` frames of a group; the group's whole state (its counter, history and idempotency
 * keys) expires `historyTtlMs` after its last send. A group without state starts again at the
 * time in microseconds (`firstId`), so ids never repeat or go down, even after the state is lost.
 *
 * Delivery: at most once per member per send, in send order within a group (ids increase in that
 * order on every instance). A send to a group with no member anywhere succeeds and reaches nobody.
 * Delivery is always asynchronous: `send` resolves before, or while, members receive the frame.
 * An instance whose transport dropped delivers, once it is back and before anything newer, every
 * frame its members missed meanwhile, from history; what history no longer holds reaches them as
 * a gap frame (`gapFrame`).
 *
 * Names: a group is 1–160 characters of `[A-Za-z0-9_.-]` (see `group-name.ts`); user-facing names
 * (rooms, user ids) never contain `.`, which the services use to keep kinds of group apart.
 *
 * Failure: only transport failure rejects, with `LayerUnavailableError`; `leave` and `disconnect`
 * never reject (the local removal is what matters; presence is repaired on reconnect). A `send`
 * refused because the layer was already unavailable reached nobody. A `send` whose connection
 * dropped mid-flight may have been delivered: callers retry it only with an idempotency key. A
 * rejected `join` left the member out.
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
   * Takes the group's next id, writes it into `frame` as its `id` field, keeps the result in the
   * group's history and delivers it to every member of `group` on every instance, as one step.
   * Resolves to the id; a duplicate (see `SendOptions.idempotencyKey`) resolves to the original's.
   */
  send(group: GroupName, frame: UnnumberedFrame, options?: SendOptions): Promise<number>;

  /**
   * Delivers `frame` as it is to one member, wherever it is connected. False when no live
   * instance can have it; true for another instance's member means that instance received it.
   */
  sendTo(memberId: string, frame: NumberedFrame): Promise<boolean>;

  /**
   * The frames of `group` after `from` that history still holds, in id order, as first delivered,
   * and whether any after it is gone. Call it after joining: together with the live frames, which
   * may overlap it, nothing is missed (merge by id, see `HistoryRead.through`).
   */
  history(group: GroupName, from: HistoryFrom): Promise<HistoryRead>;

  /** The JSON text last stored under `key`, or null. */
  readSnapshot(key: SnapshotKey): Promise<string | null>;

  /**
   * Resolves once every call made before it has been answered by the transport, and this
   * instance's members have been handed every frame sent to them before that (wherever it was
   * sent from). For shutdown: what was answered 202 reaches the other instances, and the local
   * sockets, before the instance leaves. Never rejects; resolves at once while unavailable.
   */
  settle(): Promise<void>;
}

/** How much history each group keeps, and for how long after its last send. */
export interface HistoryLimits {
  /** Frames kept per group (unless a send names its own `historySize`). */
  size: number;
  /** A group's whole state expires this long after its last send. */
  ttlMs: number;
}

export interface SendOptions {
  /**
   * How many frames of this group's history to keep, where it differs from the layer's size (a
   * 1:1 chat may keep fewer than a room: chats are many groups). Trims as the send appends.
   */
  historySize?: number;
  /** Stores `snapshot.value` under `snapshot.key` in the same step: no reader sees an older one. */
  snapshot?: SnapshotWrite;
  /**
   * A sender's own key for this message (e.g. `<user>:<cid>`). A send whose key the group already
   * holds for a message still in history delivers nothing and resolves to that message's id.
   */
  idempotencyKey?: string;
  /**
   * The group is an inbox (a user's push group): when it has a member on a live instance, the
   * frame counts as received, and a read `after: 'received'` will not return it again.
   */
  inbox?: boolean;
  /**
   * Delivered live only when `userId` has a member in `group` on a live instance (checked in the
   * same step). Otherwise the frame still takes its id and goes into history, but instead of the
   * group, the inbox group `forwardTo` gets `{"event": <the numbered frame>}` (`eventFrame`),
   * numbered there, as an inbox send.
   */
  unlessAbsent?: { userId: string; forwardTo: GroupName };
}

/**
 * Where a history read starts: after an id (a client's `since`), or, for an inbox, after the last
 * frame a member of the group received. With `markReceived` (an inbox's member reading) the read
 * also marks everything up to now as received, in the same step.
 */
export interface HistoryFrom {
  after: number | 'received';
  markReceived?: boolean;
}

export interface HistoryRead {
  /** The gap frame's content when a frame after the start is no longer in history, else null. */
  gap: { since: number; first: number | null } | null;
  /** The frames after the start, oldest first, each exactly as delivered live. */
  frames: NumberedFrame[];
  /**
   * Live frames with an id up to this one are covered by the read (or were before the start):
   * a reader merging drops them. Null when the group has no state.
   */
  through: number | null;
}

/** Snapshot keys share the group-name alphabet, so they cannot reach another key. */
export type SnapshotKey = GroupName;

interface SnapshotWrite {
  key: SnapshotKey;
  /** JSON text. */
  value: string;
}

/** DI token: an interface and its token share a name (the habit of @nestjs/throttler). */
export const ChannelLayer = Symbol('ChannelLayer');
