import type { Redis } from 'ioredis';
import type { SocketClaim } from '../presence';
import { claimSocketScript, writeSocketsScript } from './presence-scripts';
import type { RedisKeys } from './redis-keys';
import { integerReply } from './redis-script';

/**
 * Open sockets per user across instances: a set of member ids per user in Redis, each id naming
 * its instance, so a claim counts only the members of live instances (channel subscribed, lease
 * held) and deletes the others'. This instance also keeps its own claims, and writes them again
 * after a reconnect or a lapsed lease (`rewriteAll`), as presence does.
 *
 * A claim is kept locally before it is sent: a rewrite queued while it is in flight then carries
 * it too. A refused claim is dropped locally, and from Redis too (an idempotent SREM) only if such
 * a rewrite may have added it; a failed one marks its user for the next rewrite (the script may
 * have run before the reply was lost).
 */
export class RedisSocketClaims {
  /** User id → member ids of this instance's claimed sockets: what Redis must hold for it. */
  private readonly claimed = new Map<string, Set<string>>();
  /** Users whose last release failed: Redis may still hold a member this instance gave back. */
  private readonly dirty = new Set<string>();
  /** Rewrites started so far: tells a claim whether one went out while it was in flight. */
  private rewrites = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async claim(socket: SocketClaim, limit: number): Promise<boolean> {
    let members = this.claimed.get(socket.userId);
    if (!members) this.claimed.set(socket.userId, (members = new Set()));
    members.add(socket.id);
    const rewrites = this.rewrites;
    let granted: boolean;
    try {
      const keys = [this.keys.userSockets(socket.userId), this.keys.leases];
      const args = [this.keys.instanceChannelPrefix, socket.id, limit];
      granted = integerReply(await claimSocketScript.run(this.redis, keys, args), claimSocketScript.name) === 1;
    } catch (error) {
      this.forget(socket);
      this.dirty.add(socket.userId);
      throw error;
    }
    if (granted) return true;
    if (this.rewrites === rewrites) this.forget(socket);
    else await this.release(socket);
    return false;
  }

  /** Never rejects: a failed SREM is remembered and repaired by the next `rewriteAll`. */
  async release(socket: SocketClaim): Promise<void> {
    if (!this.forget(socket)) return;
    try {
      await this.redis.srem(this.keys.userSockets(socket.userId), socket.id);
    } catch {
      this.dirty.add(socket.userId);
    }
  }

  /** Writes this instance's claims of every user it holds or failed to release. */
  async rewriteAll(): Promise<void> {
    this.rewrites += 1;
    const users = new Set([...this.dirty, ...this.claimed.keys()]);
    this.dirty.clear();
    await Promise.all([...users].map((user) => this.write(user, [...(this.claimed.get(user) ?? [])])));
  }

  /** Drops every claim of this instance from Redis, on a clean shutdown. */
  async removeAll(): Promise<void> {
    this.rewrites += 1;
    const users = new Set([...this.dirty, ...this.claimed.keys()]);
    await Promise.all([...users].map((user) => this.write(user, [])));
  }

  /** Drops the claim locally; false when this instance did not hold it. */
  private forget(socket: SocketClaim): boolean {
    const members = this.claimed.get(socket.userId);
    if (!members?.delete(socket.id)) return false;
    if (members.size === 0) this.claimed.delete(socket.userId);
    return true;
  }

  private async write(user: string, members: string[]): Promise<void> {
    try {
      await writeSocketsScript.run(this.redis, [this.keys.userSockets(user)], [this.keys.instanceId, ...members]);
    } catch (error) {
      this.dirty.add(user);
      throw error;
    }
  }
}
