import type { Redis } from 'ioredis';
import type { GroupName } from '../group-name';
import type { LocalGroups } from '../local-groups';
import type { RedisKeys } from './redis-keys';
import type { Presence, SocketClaim } from '../presence';
import { countMembersScript, hasUserScript, writePresenceScript } from './presence-scripts';
import { integerReply } from './redis-script';
import { RedisSocketClaims } from './redis-socket-claims';

/**
 * Shared presence: per group, this instance's member count and per-user counts, in two hashes;
 * per user, the open sockets claimed on every instance (`RedisSocketClaims`). Readers count only
 * live instances, those whose `sub` connection still holds their instance channel and whose
 * lease has not lapsed (`RedisLease`): an instance killed without cleanup stops counting as soon
 * as Redis sees its connection close, one frozen with its connections up (or on a host that
 * vanished) when its lease lapses. The next reader deletes a dead instance's fields.
 *
 * Writes are absolute (this instance's count, not +1/-1): a failed write is remembered and the
 * next `rewriteAll` (after either connection comes back) converges Redis on the local state,
 * even after a Redis restart that lost everything, or readers that pruned this instance while
 * its `sub` connection was away.
 */
export class RedisPresence implements Presence {
  /** Groups, and their users, whose last write failed: Redis may still hold older counts. */
  private readonly dirty = new Map<GroupName, Set<string>>();
  private readonly claims: RedisSocketClaims;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly groups: LocalGroups,
  ) {
    this.claims = new RedisSocketClaims(redis, keys);
  }

  /**
   * Writes this instance's current counts of `group` for the given users. The counts are read
   * synchronously when the command is queued, and one connection runs commands in order, so the
   * last write queued always carries the latest local state. Resolves to the group's last id.
   */
  async write(group: GroupName, userIds: Iterable<string>): Promise<number> {
    const users = [...userIds];
    const args: (string | number)[] = [this.keys.instanceId, this.groups.size(group)];
    for (const user of users) args.push(user, this.groups.userCount(group, user));
    try {
      const keys = [...this.readKeys(group), this.keys.state(group)];
      return integerReply(await writePresenceScript.run(this.redis, keys, args), writePresenceScript.name);
    } catch (error) {
      this.markDirty(group, users);
      throw error;
    }
  }

  /** Writes every local group and every group whose write failed, and every socket claim. */
  async rewriteAll(): Promise<void> {
    await Promise.all([this.rewriteGroups(), this.claims.rewriteAll()]);
  }

  private async rewriteGroups(): Promise<void> {
    const work = new Map<GroupName, Set<string>>(this.dirty);
    this.dirty.clear();
    for (const group of this.groups.names()) {
      const users = work.get(group) ?? new Set<string>();
      for (const user of this.groups.users(group).keys()) users.add(user);
      work.set(group, users);
    }
    await Promise.all([...work].map(([group, users]) => this.write(group, users)));
  }

  /**
   * Removes this instance from presence on a clean shutdown. Closing `sub` alone makes every
   * reader ignore (and delete) this instance's fields; the zero writes just spare them that.
   */
  async removeAll(): Promise<void> {
    const writes = [...this.groups.names()].map((group) => {
      const args: (string | number)[] = [this.keys.instanceId, 0];
      for (const user of this.groups.users(group).keys()) args.push(user, 0);
      return writePresenceScript.run(this.redis, [...this.readKeys(group), this.keys.state(group)], args);
    });
    await Promise.all([...writes, this.claims.removeAll()]);
  }

  async countMembers(group: GroupName): Promise<number> {
    const keys = [...this.readKeys(group), this.keys.leases];
    const reply = await countMembersScript.run(this.redis, keys, [this.keys.instanceChannelPrefix]);
    return integerReply(reply, countMembersScript.name);
  }

  async hasUser(group: GroupName, userId: string): Promise<boolean> {
    const keys = [...this.readKeys(group), this.keys.leases];
    const reply = await hasUserScript.run(this.redis, keys, [this.keys.instanceChannelPrefix, userId]);
    return integerReply(reply, hasUserScript.name) === 1;
  }

  claimSocket(socket: SocketClaim, limit: number): Promise<boolean> {
    return this.claims.claim(socket, limit);
  }

  releaseSocket(socket: SocketClaim): Promise<void> {
    return this.claims.release(socket);
  }

  private readKeys(group: GroupName): string[] {
    return [this.keys.conns(group), this.keys.users(group)];
  }

  private markDirty(group: GroupName, users: readonly string[]): void {
    let entry = this.dirty.get(group);
    if (!entry) this.dirty.set(group, (entry = new Set()));
    for (const user of users) entry.add(user);
  }
}
