import { isGroupName, type GroupName } from '../group-name';
import type { SnapshotKey } from '../channel-layer';

/**
 * Every key and channel of the layer, under one prefix. Group names and instance ids contain no
 * `:` (see `group-name.ts`; instance ids are hex), so `group:<g>:<kind>` can never
 * reach `group:<other>:<kind>`, and a prefix per test or per deployment keeps namespaces apart without
 * FLUSHALL. Channels are exact names: the layer never PSUBSCRIBEs.
 */
export class RedisKeys {
  private readonly groupChannelPrefix: string;
  /**
   * What precedes the instance id in an instance channel. The channel also says an instance is
   * alive: its `sub` connection holds it from start to shutdown (see `presence-scripts.ts`).
   */
  readonly instanceChannelPrefix: string;
  /** Hash: instance id → when its lease lapses (ms, Redis' clock); see `presence-scripts.ts`. */
  readonly leases: string;

  constructor(
    readonly prefix: string,
    readonly instanceId: string,
  ) {
    this.groupChannelPrefix = `${prefix}group:`;
    this.instanceChannelPrefix = `${prefix}instance:`;
    this.leases = `${prefix}instance-leases`;
  }

  /** Pub/sub channel of a group; every instance with a local member subscribes it. */
  groupChannel(group: GroupName): string {
    return `${this.groupChannelPrefix}${group}`;
  }

  /** Hash: the group's ids (`first`, `last`) and an inbox's `received` mark. */
  state(group: GroupName): string {
    return `${this.prefix}group:${group}:state`;
  }

  /** List: the group's last numbered frames, oldest first. */
  history(group: GroupName): string {
    return `${this.prefix}group:${group}:history`;
  }

  /** Hash: idempotency key → the id of the message sent with it. */
  idempotency(group: GroupName): string {
    return `${this.prefix}group:${group}:idempotency`;
  }

  /** Every key of a group that a send script takes, in the order state, history, idempotency, conns, users. */
  sendKeys(group: GroupName): string[] {
    return [this.state(group), this.history(group), this.idempotency(group), this.conns(group), this.users(group)];
  }

  /** Hash: instance id → members of the group on that instance. */
  conns(group: GroupName): string {
    return `${this.prefix}group:${group}:conns`;
  }

  /** Hash: `<instance id>:<user id>` → members of that user in the group on that instance. */
  users(group: GroupName): string {
    return `${this.prefix}group:${group}:users`;
  }

  /**
   * Set: the member ids of a user's open sockets on every instance (`claimSocket`). The user id
   * goes in as it is: the fixed `user:` and `:sockets` around it keep users apart from each other
   * and from every other key, whatever characters the id holds.
   */
  userSockets(userId: string): string {
    return `${this.prefix}user:${userId}:sockets`;
  }

  /** Channel on which an instance receives `sendTo` frames for its members. */
  instanceChannel(instanceId: string = this.instanceId): string {
    return `${this.instanceChannelPrefix}${instanceId}`;
  }

  snapshot(key: SnapshotKey): string {
    return `${this.prefix}snapshot:${key}`;
  }

  /** The group a received channel belongs to, or undefined for any other channel. */
  groupOfChannel(channel: string): GroupName | undefined {
    if (!channel.startsWith(this.groupChannelPrefix)) return undefined;
    const name = channel.slice(this.groupChannelPrefix.length);
    return isGroupName(name) ? name : undefined;
  }
}
