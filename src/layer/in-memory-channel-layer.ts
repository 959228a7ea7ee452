import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { ChannelLayer, GroupMember, SnapshotKey, SnapshotWrite } from './channel-layer';
import { firstId, stampId, type UnnumberedFrame } from './frame';
import { groupName, type GroupName } from './group-name';
import { LocalGroups } from './local-groups';

/** Delivery waits on this: a microtask, without the async resource `queueMicrotask` makes per call. */
const settled = Promise.resolve();

/**
 * The default layer: one process, no dependencies. It behaves like the wire: names are checked
 * by the same rules, frames travel as bytes, and delivery happens after `send` returns (in a
 * microtask, not a later turn: a chat message's copy to its sender is then written before its ack,
 * and both leave in one write, see `Peer.holdWrites`).
 */
export class InMemoryChannelLayer implements ChannelLayer {
  readonly kind = 'memory';
  private readonly logger = new Logger(InMemoryChannelLayer.name);
  private readonly groups = new LocalGroups(this.logger);
  private readonly members = new Map<string, GroupMember>();
  /** Each group's last id, in a record changed in place: one map lookup per send. */
  private readonly lastIds = new Map<GroupName, { id: number }>();
  private readonly snapshots = new Map<SnapshotKey, string>();
  private readonly prefix = randomUUID().slice(0, 8);
  private sequence = 0;

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

  async send(group: GroupName, frame: UnnumberedFrame, snapshot?: SnapshotWrite): Promise<number> {
    const name = groupName(group);
    if (snapshot) this.snapshots.set(groupName(snapshot.key), snapshot.value);
    return this.publish(name, frame);
  }

  async sendIfPresent(group: GroupName, userId: string, frame: UnnumberedFrame): Promise<number | null> {
    const name = groupName(group);
    return this.groups.userCount(name, userId) === 0 ? null : this.publish(name, frame);
  }

  async sendTo(memberId: string, frame: Buffer): Promise<boolean> {
    const member = this.members.get(memberId);
    if (!member) return false;
    void settled.then(() => this.groups.deliverTo(member, frame));
    return true;
  }

  async nextId(group: GroupName): Promise<number> {
    return this.takeId(groupName(group));
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

  /** Numbers the frame and delivers it after the caller's turn of the microtask queue. */
  private publish(group: GroupName, frame: UnnumberedFrame): number {
    const id = this.takeId(group);
    const bytes = Buffer.from(stampId(frame, id));
    void settled.then(() => this.groups.deliver(group, bytes));
    return id;
  }

  private takeId(group: GroupName): number {
    const last = this.lastIds.get(group);
    if (last) return ++last.id;
    const id = firstId();
    this.lastIds.set(group, { id });
    return id;
  }
}
