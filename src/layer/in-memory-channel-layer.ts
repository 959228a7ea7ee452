import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { LayerStats } from '../metrics/layer-stats';
import type {
  ChannelLayer,
  GroupMember,
  HistoryFrom,
  HistoryLimits,
  HistoryRead,
  SendOptions,
  SnapshotKey,
} from './channel-layer';
import { eventFrame } from '../wire/serialise';
import type { UnnumberedFrame } from '../wire/numbered';
import { groupName, type GroupName } from './group-name';
import { LocalGroups } from './local-groups';
import { MemoryHistory, type Entry } from './memory-history';
import type { Presence, SocketClaim } from './presence';

/** Delivery waits on this: a microtask, without the async resource `queueMicrotask` makes per call. */
const settled = Promise.resolve();

/**
 * The default layer: one process, no dependencies. It behaves like the wire: names are checked
 * by the same rules, frames travel as bytes, and delivery happens after `send` returns (in a
 * microtask, not a later turn: a chat message's copy to its sender is then written before its ack,
 * and both leave in one write, see `Peer.holdWrites`). It is its own `Presence`: one process
 * knows every member.
 */
export class InMemoryChannelLayer implements ChannelLayer, Presence, OnApplicationShutdown {
  readonly kind = 'memory';
  private readonly logger = new Logger(InMemoryChannelLayer.name);
  private readonly groups: LocalGroups;
  private readonly members = new Map<string, GroupMember>();
  private readonly log: MemoryHistory;
  private readonly snapshots = new Map<SnapshotKey, string>();
  /** Each user's claimed sockets (`claimSocket`), by member id: a release is idempotent. */
  private readonly sockets = new Map<string, Set<string>>();
  private readonly prefix = randomUUID().slice(0, 8);
  private sequence = 0;

  /** `stats`: where the fan-out is timed (`Metrics.layer`); this layer never fails, so counts no error. */
  constructor(limits: HistoryLimits, stats: LayerStats = new LayerStats()) {
    this.log = new MemoryHistory(limits);
    this.groups = new LocalGroups(this.logger, stats);
  }

  onApplicationShutdown(): void {
    this.log.stop();
  }

  isAvailable(): boolean {
    return true;
  }

  newMemberId(): string {
    return `${this.prefix}.${++this.sequence}`;
  }

  async connect(member: GroupMember): Promise<void> {
    this.members.set(member.id, member);
  }

  async disconnect(member: GroupMember): Promise<void> {
    this.members.delete(member.id);
    this.groups.removeEverywhere(member);
  }

  async join(group: GroupName, member: GroupMember): Promise<void> {
    this.groups.add(groupName(group), member);
  }

  async leave(group: GroupName, member: GroupMember): Promise<void> {
    this.groups.remove(groupName(group), member);
  }

  async send(group: GroupName, frame: UnnumberedFrame, options: SendOptions = {}): Promise<number> {
    const name = groupName(group);
    const { snapshot, idempotencyKey, unlessAbsent, historySize } = options;
    const forwardTo = unlessAbsent && groupName(unlessAbsent.forwardTo);
    if (snapshot) groupName(snapshot.key);
    const original = idempotencyKey === undefined ? undefined : this.log.idOfKey(name, idempotencyKey);
    if (original !== undefined) return original;
    if (snapshot) this.snapshots.set(snapshot.key, snapshot.value);
    const kept = this.log.append(name, frame, idempotencyKey, historySize);
    if (!forwardTo || this.groups.userCount(name, unlessAbsent.userId) > 0) {
      this.deliverLater(name, kept, options.inbox === true);
    } else {
      const forwarded = this.log.append(forwardTo, eventFrame(kept.frame.toString()));
      this.deliverLater(forwardTo, forwarded, true);
    }
    return kept.id;
  }

  async sendTo(memberId: string, frame: Buffer): Promise<boolean> {
    const member = this.members.get(memberId);
    if (!member) return false;
    void settled.then(() => this.groups.deliverTo(member, frame));
    return true;
  }

  async history(group: GroupName, from: HistoryFrom): Promise<HistoryRead> {
    return this.log.read(groupName(group), from);
  }

  async countMembers(group: GroupName): Promise<number> {
    return this.groups.size(groupName(group));
  }

  async hasUser(group: GroupName, userId: string): Promise<boolean> {
    return this.groups.userCount(groupName(group), userId) > 0;
  }

  async claimSocket(socket: SocketClaim, limit: number): Promise<boolean> {
    let claimed = this.sockets.get(socket.userId);
    if (claimed?.has(socket.id)) return true;
    if ((claimed?.size ?? 0) >= limit) return false;
    if (!claimed) this.sockets.set(socket.userId, (claimed = new Set()));
    claimed.add(socket.id);
    return true;
  }

  async releaseSocket(socket: SocketClaim): Promise<void> {
    const claimed = this.sockets.get(socket.userId);
    if (claimed?.delete(socket.id) && claimed.size === 0) this.sockets.delete(socket.userId);
  }

  async readSnapshot(key: SnapshotKey): Promise<string | null> {
    return this.snapshots.get(groupName(key)) ?? null;
  }

  /** Deliveries are microtasks queued by the sends before: this one runs after them. */
  async settle(): Promise<void> {
    await settled;
  }

  /** Delivers a kept frame after the caller's turn of the microtask queue. */
  private deliverLater(group: GroupName, kept: Entry, inbox: boolean): void {
    if (inbox && this.groups.size(group) > 0) this.log.markReceived(group, kept.id);
    const sentAt = performance.now();
    void settled.then(() => this.groups.deliver(group, kept.frame, sentAt));
  }
}
