import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { ChannelLayer, GroupMember, HistoryFrom, HistoryRead, SendOptions, SnapshotKey } from './channel-layer';
import { eventFrame } from '../common/frames';
import { stampId, type UnnumberedFrame } from './frame';
import { groupName, type GroupName } from './group-name';
import { LocalGroups } from './local-groups';
import { MemoryHistory, type HistoryLimits } from './memory-history';
import type { Presence } from './presence';

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
  private readonly groups = new LocalGroups(this.logger);
  private readonly members = new Map<string, GroupMember>();
  private readonly log: MemoryHistory;
  private readonly snapshots = new Map<SnapshotKey, string>();
  private readonly prefix = randomUUID().slice(0, 8);
  private sequence = 0;

  constructor(limits: HistoryLimits) {
    this.log = new MemoryHistory(limits);
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
    if (!forwardTo || this.groups.userCount(name, unlessAbsent.userId) > 0) {
      return this.publish(name, frame, options.inbox === true, idempotencyKey, historySize);
    }
    let numbered = '';
    const keep = (n: number): Buffer => Buffer.from((numbered = stampId(frame, n)));
    const id = this.log.append(name, keep, idempotencyKey, historySize);
    this.publish(forwardTo, eventFrame(numbered), true);
    return id;
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

  async readSnapshot(key: SnapshotKey): Promise<string | null> {
    return this.snapshots.get(groupName(key)) ?? null;
  }

  /** Numbers and keeps the frame, and delivers it after the caller's turn of the microtask queue. */
  private publish(group: GroupName, frame: UnnumberedFrame, inbox: boolean, key?: string, size?: number): number {
    let bytes = Buffer.alloc(0);
    const id = this.log.append(group, (n) => (bytes = Buffer.from(stampId(frame, n))), key, size);
    if (inbox && this.groups.size(group) > 0) this.log.markReceived(group, id);
    void settled.then(() => this.groups.deliver(group, bytes));
    return id;
  }
}
