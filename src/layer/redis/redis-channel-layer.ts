import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import {
  LayerUnavailableError,
  type ChannelLayer,
  type GroupMember,
  type HistoryFrom,
  type HistoryRead,
  type SendOptions,
  type SnapshotKey,
} from '../channel-layer';
import type { UnnumberedFrame } from '../../wire/numbered';
import { LayerStats } from '../../metrics/layer-stats';
import { groupName, type GroupName } from '../group-name';
import { LocalGroups } from '../local-groups';
import type { HistoryLimits } from '../channel-layer';
import type { Presence, SocketClaim } from '../presence';
import { RedisCalls } from './redis-calls';
import { closeConnection, createConnection, redactUrl } from './redis-connection';
import { RedisKeys } from './redis-keys';
import { DEFAULT_LEASE_MS, RedisLease } from './redis-lease';
import { RedisPresence } from './redis-presence';
import { RedisSubscriptions } from './redis-subscriptions';
import { RedisHistory } from './redis-history';
import { SerialTask } from './serial-task';

export interface RedisChannelLayerOptions {
  /** `redis://` or `rediss://` URL. */
  url: string;
  /** Prepended to every key and channel (e.g. `rt:`). */
  prefix: string;
  history: HistoryLimits;
  /** How long this instance counts in presence without renewing its lease (`PRESENCE_LEASE_MS`). */
  leaseMs?: number;
  /** Where failures, gap frames and fan-out times are counted (`Metrics.layer`). */
  stats?: LayerStats;
}

/** How soon a failed restore (catch-up and presence) is tried again, while both connections stay up. */
const RESTORE_RETRY_MS = 1000;

/**
 * The channel layer on Redis pub/sub, for several instances behind a load balancer.
 *
 * - Two connections: `pub` runs commands and scripts, `sub` only subscribes. A group's channel is
 *   subscribed on its first local join and unsubscribed on its last local leave.
 * - Publish-only: `send` never delivers locally; this instance's own subscription does, so every
 *   member gets a frame exactly once and in the order Redis published it. Received bytes go to
 *   the members as they are (no parse, no copy): the send script published the finished frame.
 * - Ids come from a per-group counter in the same Lua script that keeps the frame in the group's
 *   history and publishes it (`history-scripts.ts`).
 * - When `sub` drops, every local group holds what it receives from then on; once `sub` is back,
 *   each reads from history what it missed after the last id it delivered, delivers that (or a
 *   gap frame), then what it held, and only then is the layer available again.
 * - Presence and socket claims are shared through `RedisPresence`, which counts an instance
 *   while it holds its channel and its lease (`RedisLease`). `sendTo` uses instance channels.
 * - While either connection is down, or subscriptions and presence are not yet restored after a
 *   reconnect or a lapsed lease, `isAvailable()` is false and every call that needs Redis rejects
 *   with `LayerUnavailableError`. `leave` and `disconnect` still take effect locally and resolve.
 */
export class RedisChannelLayer implements ChannelLayer, Presence, OnModuleInit, OnApplicationShutdown {
  readonly kind = 'redis';
  private readonly logger = new Logger(RedisChannelLayer.name);
  private readonly stats: LayerStats;
  private readonly groups: LocalGroups;
  private readonly members = new Map<string, GroupMember>();
  private readonly instanceId = randomUUID().replaceAll('-', '');
  private readonly keys: RedisKeys;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly presence: RedisPresence;
  private readonly lease: RedisLease;
  private readonly numbered: RedisHistory;
  private readonly subscriptions: RedisSubscriptions;
  private readonly calls: RedisCalls;
  private sequence = 0;
  private started = false;
  private closing = false;
  /** This instance's presence is written, and readers see it live, on the current connections. */
  private presenceWritten = false;
  private readonly restoration = new SerialTask(
    () => this.restore(),
    (error) => this.restoreFailed(error),
    RESTORE_RETRY_MS,
  );

  constructor(private readonly options: RedisChannelLayerOptions) {
    this.stats = options.stats ?? new LayerStats();
    this.groups = new LocalGroups(this.logger, this.stats);
    this.calls = new RedisCalls(() => this.isAvailable(), this.stats.errors);
    this.keys = new RedisKeys(options.prefix, this.instanceId);
    const closing = (): boolean => this.closing;
    this.pub = createConnection(
      'pub',
      options.url,
      this.logger,
      { closing, onLost: () => (this.presenceWritten = false), onReconnected: () => void this.restoration.run() },
      this.instanceId,
    );
    // While `sub` is away, readers see this instance as dead and may prune its presence.
    this.sub = createConnection(
      'sub',
      options.url,
      this.logger,
      {
        closing,
        onLost: () => {
          this.subscriptions.lost();
          this.groups.holdAll();
          this.presenceWritten = false;
        },
        onReconnected: () => {
          if (this.started && !this.closing) void this.subscriptions.resubscribe().then(() => this.restoration.run());
        },
      },
      this.instanceId,
    );
    this.subscriptions = new RedisSubscriptions(this.sub, this.keys, this.groups, this.members, this.logger);
    this.presence = new RedisPresence(this.pub, this.keys, this.groups);
    // Lapsed: readers may have pruned this instance; unavailable until it is all written again.
    const lapsed = (): void => {
      this.presenceWritten = false;
      void this.restoration.run();
    };
    this.lease = new RedisLease(this.pub, this.keys, options.leaseMs ?? DEFAULT_LEASE_MS, lapsed, this.logger);
    this.numbered = new RedisHistory(this.pub, this.keys, options.history);
  }

  /** Connects both connections, or rejects (and stops retrying) if Redis is unreachable. */
  async onModuleInit(): Promise<void> {
    try {
      await Promise.all([this.pub.connect(), this.sub.connect()]);
      // The instance channel and the lease: from then on readers count this instance as live.
      await this.subscriptions.subscribeAll();
      await this.lease.renew();
      this.presenceWritten = true;
    } catch (error) {
      this.closing = true;
      await Promise.all([closeConnection(this.pub), closeConnection(this.sub)]);
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`Redis at ${redactUrl(this.options.url)} is unreachable: ${reason}`, { cause: error });
    }
    this.started = true;
    this.lease.start();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.closing) return;
    const canClean = this.started && this.pub.status === 'ready';
    this.closing = true;
    this.restoration.stop();
    this.lease.stop();
    if (canClean) {
      await this.presence
        .removeAll()
        .then(() => this.lease.release())
        .catch((error: unknown) => this.logger.warn(`presence cleanup on shutdown failed: ${String(error)}`));
    }
    await Promise.all([closeConnection(this.pub), closeConnection(this.sub)]);
  }

  isAvailable(): boolean {
    const connected = this.pub.status === 'ready' && this.subscriptions.ready;
    return this.started && !this.closing && connected && this.presenceWritten && this.lease.held();
  }

  newMemberId(): string {
    return `${this.instanceId}.${++this.sequence}`;
  }

  async connect(member: GroupMember): Promise<void> {
    this.members.set(member.id, member);
  }

  async disconnect(member: GroupMember): Promise<void> {
    this.members.delete(member.id);
    const groups = [...this.groups.groupsOf(member)];
    const emptied = new Set(this.groups.removeEverywhere(member));
    await Promise.all(groups.map((group) => this.afterLeave(group, member, emptied.has(group))));
  }

  async join(group: GroupName, member: GroupMember): Promise<void> {
    const name = groupName(group);
    await this.calls.run('join', async () => {
      try {
        if (this.groups.add(name, member)) await this.subscriptions.subscribe(name);
        else await this.subscriptions.inFlight(name);
        this.groups.noteLastId(name, await this.presence.write(name, [member.userId]));
      } catch (error) {
        // Leave the member out, as the contract promises; a concurrent joiner does the same.
        if (this.groups.groupsOf(member).has(name)) {
          await this.afterLeave(name, member, this.groups.remove(name, member));
        }
        throw error;
      }
    });
  }

  async leave(group: GroupName, member: GroupMember): Promise<void> {
    const name = groupName(group);
    if (!this.groups.groupsOf(member).has(name)) return;
    await this.afterLeave(name, member, this.groups.remove(name, member));
  }

  async send(group: GroupName, frame: UnnumberedFrame, options: SendOptions = {}): Promise<number> {
    const name = groupName(group);
    if (options.unlessAbsent) groupName(options.unlessAbsent.forwardTo);
    if (options.snapshot) groupName(options.snapshot.key);
    return this.calls.run('send', () => this.numbered.send(name, frame, options));
  }

  async history(group: GroupName, from: HistoryFrom): Promise<HistoryRead> {
    const name = groupName(group);
    return this.calls.run('history', () => this.numbered.read(name, from));
  }

  /**
   * Published on the member's instance channel (see `RedisSubscriptions.direct`), also for a
   * member of this instance: through Redis, a `send` and a later `sendTo` keep their order. True
   * when a live instance received it: for a member of this instance, whether it is connected; for
   * another's, that the instance is up. False for an id no instance of this layer could issue.
   */
  async sendTo(memberId: string, frame: Buffer): Promise<boolean> {
    const direct = this.subscriptions.direct(memberId, frame);
    if (!direct) return false;
    return (await this.calls.run('send_to', () => this.pub.publish(direct.channel, direct.payload))) > 0;
  }

  async countMembers(group: GroupName): Promise<number> {
    const name = groupName(group);
    return this.calls.run('count_members', () => this.presence.countMembers(name));
  }

  async hasUser(group: GroupName, userId: string): Promise<boolean> {
    const name = groupName(group);
    return this.calls.run('has_user', () => this.presence.hasUser(name, userId));
  }

  async claimSocket(socket: SocketClaim, limit: number): Promise<boolean> {
    return this.calls.run('claim_socket', () => this.presence.claimSocket(socket, limit));
  }

  async releaseSocket(socket: SocketClaim): Promise<void> {
    await this.presence.releaseSocket(socket);
  }

  async readSnapshot(key: SnapshotKey): Promise<string | null> {
    const redisKey = this.keys.snapshot(groupName(key));
    return this.calls.run('read_snapshot', () => this.pub.get(redisKey));
  }

  /** The calls in flight answered, then a round trip on `sub` (see `RedisSubscriptions.caughtUp`). */
  async settle(): Promise<void> {
    await this.calls.idle();
    await this.subscriptions.caughtUp();
  }

  /** A history read, also while the layer is still restoring (see `catchUp`). */
  private async readHistory(group: GroupName, from: HistoryFrom): Promise<HistoryRead> {
    try {
      return await this.numbered.read(group, from);
    } catch (error) {
      throw new LayerUnavailableError(error);
    }
  }

  /** Best effort after a local leave: unsubscribe an emptied group, write presence. */
  private async afterLeave(group: GroupName, member: GroupMember, emptied: boolean): Promise<void> {
    // A failed write is remembered by RedisPresence and re-written after the reconnect.
    await Promise.allSettled([
      emptied ? this.subscriptions.unsubscribe(group) : undefined,
      this.presence.write(group, [member.userId]),
    ]);
  }

  /**
   * Once both connections are up after either came back, or the lease was found lapsed: renews
   * the lease, delivers what the local groups missed while `sub` was away (`LocalGroups.catchUp`),
   * then writes all of this instance's presence and socket claims again (Redis may have restarted
   * empty, writes may have failed meanwhile, and readers may have pruned this instance while `sub`
   * was away or its lease lapsed). Only then is the layer available again.
   */
  private async restore(): Promise<void> {
    if (!this.started || this.closing || this.pub.status !== 'ready' || !this.subscriptions.ready) return;
    await this.lease.renew();
    await this.groups.catchUp((group, from) => this.readHistory(group, from));
    await this.presence.rewriteAll();
    if (this.pub.status === 'ready' && this.subscriptions.ready) this.presenceWritten = true;
  }

  /** Worth another try while `pub` is up; the connections' own listeners report outages. */
  private restoreFailed(error: unknown): boolean {
    this.stats.errors.restore += 1;
    if (this.pub.status !== 'ready') return false;
    this.logger.error(`restoring after a reconnect failed: ${String(error)}`);
    return true;
  }
}
