import type { LoggerService } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { LayerStats } from '../metrics/layer-stats';
import type { GroupMember, HistoryFrom, HistoryRead } from './channel-layer';
import { gapFrame } from '../wire/serialise';
import { idOf } from '../wire/numbered';
import type { GroupName } from './group-name';

interface LocalGroup {
  readonly members: Set<GroupMember>;
  /** Connections per user in this group on this instance: presence without a scan. */
  readonly users: Map<string, number>;
  /** The last id delivered here, or known at the first join (Redis: where a catch-up starts). */
  lastId: number;
  /** While the group catches up after its subscription was lost: frames received meanwhile. */
  held?: Buffer[];
}

/**
 * The members of each group on this instance, and the fan-out to them. Both layers use it; the
 * Redis layer adds subscriptions and shared presence around it.
 */
export class LocalGroups {
  private readonly groups = new Map<GroupName, LocalGroup>();
  private readonly memberships = new Map<GroupMember, Set<GroupName>>();

  constructor(
    private readonly logger: LoggerService,
    private readonly stats: LayerStats = new LayerStats(),
  ) {}

  /** True when `member` is the group's first member here. */
  add(group: GroupName, member: GroupMember): boolean {
    let entry = this.groups.get(group);
    const created = entry === undefined;
    if (!entry) {
      entry = { members: new Set(), users: new Map(), lastId: 0 };
      this.groups.set(group, entry);
    }
    if (entry.members.has(member)) return false;
    entry.members.add(member);
    entry.users.set(member.userId, (entry.users.get(member.userId) ?? 0) + 1);
    let joined = this.memberships.get(member);
    if (!joined) this.memberships.set(member, (joined = new Set()));
    joined.add(group);
    return created;
  }

  /** True when `member` was the group's last member here. */
  remove(group: GroupName, member: GroupMember): boolean {
    const entry = this.groups.get(group);
    if (!entry || !entry.members.delete(member)) return false;
    const left = (entry.users.get(member.userId) ?? 1) - 1;
    if (left > 0) entry.users.set(member.userId, left);
    else entry.users.delete(member.userId);
    const joined = this.memberships.get(member);
    joined?.delete(group);
    if (joined?.size === 0) this.memberships.delete(member);
    if (entry.members.size > 0) return false;
    this.groups.delete(group);
    return true;
  }

  /** Removes `member` from all its groups; returns the groups that became empty here. */
  removeEverywhere(member: GroupMember): GroupName[] {
    const emptied: GroupName[] = [];
    for (const group of [...(this.memberships.get(member) ?? [])]) {
      if (this.remove(group, member)) emptied.push(group);
    }
    this.memberships.delete(member);
    return emptied;
  }

  groupsOf(member: GroupMember): ReadonlySet<GroupName> {
    return this.memberships.get(member) ?? new Set();
  }

  has(group: GroupName): boolean {
    return this.groups.has(group);
  }

  names(): IterableIterator<GroupName> {
    return this.groups.keys();
  }

  size(group: GroupName): number {
    return this.groups.get(group)?.members.size ?? 0;
  }

  userCount(group: GroupName, userId: string): number {
    return this.groups.get(group)?.users.get(userId) ?? 0;
  }

  users(group: GroupName): ReadonlyMap<string, number> {
    return this.groups.get(group)?.users ?? new Map();
  }

  /**
   * The hot path: the same bytes to every member, one failure never stops the others. `sentAt`
   * (`performance.now()` at the send) starts the `ws_fanout_seconds` timing: two clock reads per
   * group delivery, none per member.
   */
  deliver(group: GroupName, frame: Buffer, sentAt?: number): void {
    const entry = this.groups.get(group);
    if (!entry) return;
    const start = sentAt ?? performance.now();
    for (const member of entry.members) this.deliverTo(member, frame);
    this.stats.fanout.observe((performance.now() - start) / 1000);
  }

  deliverTo(member: GroupMember, frame: Buffer): void {
    try {
      member.deliver(frame);
    } catch (error) {
      this.logger.error(`delivery to ${member.id} failed: ${String(error)}`);
    }
  }

  /**
   * `deliver` for a frame received from another process (Redis): remembers its id, and while the
   * group catches up holds it back, so that what it missed goes first (`release`).
   */
  deliverReceived(group: GroupName, frame: Buffer): void {
    const entry = this.groups.get(group);
    if (!entry) return;
    if (entry.held) {
      entry.held.push(frame);
      return;
    }
    const start = performance.now();
    const id = idOf(frame);
    if (id > entry.lastId) entry.lastId = id;
    for (const member of entry.members) this.deliverTo(member, frame);
    this.stats.fanout.observe((performance.now() - start) / 1000);
  }

  /** Everything up to `id` was sent before this instance's members could miss it. */
  noteLastId(group: GroupName, id: number): void {
    const entry = this.groups.get(group);
    if (entry && id > entry.lastId) entry.lastId = id;
  }

  lastId(group: GroupName): number {
    return this.groups.get(group)?.lastId ?? 0;
  }

  /** From now on every group holds what it receives until `release`d: its subscription is gone. */
  holdAll(): void {
    for (const entry of this.groups.values()) entry.held ??= [];
  }

  /** The groups holding frames back, still to catch up. */
  holding(): GroupName[] {
    return [...this.groups].filter(([, entry]) => entry.held).map(([group]) => group);
  }

  /**
   * For each group holding frames: what history has after the last id it delivered (a gap frame
   * first, for what history lost), then what it held. A group whose read fails keeps holding
   * until the next try.
   */
  async catchUp(read: (group: GroupName, from: HistoryFrom) => Promise<HistoryRead>): Promise<void> {
    await Promise.all(
      this.holding().map(async (group) => {
        const missed = await read(group, { after: this.lastId(group) });
        const gap = missed.gap ? [Buffer.from(gapFrame(missed.gap))] : [];
        if (missed.gap) this.stats.gaps.catch_up += this.size(group);
        this.release(group, [...gap, ...missed.frames]);
      }),
    );
  }

  /**
   * Ends a group's catch-up: delivers `missed` (the gap frame and the frames from history, in
   * order), then the held frames newer than the last of them, and goes live again.
   */
  release(group: GroupName, missed: Buffer[]): void {
    const entry = this.groups.get(group);
    const held = entry?.held;
    if (!entry || !held) return;
    entry.held = undefined;
    for (const frame of missed) this.deliverReceived(group, frame);
    const through = entry.lastId;
    for (const frame of held) if (!(idOf(frame) <= through)) this.deliverReceived(group, frame);
  }
}
