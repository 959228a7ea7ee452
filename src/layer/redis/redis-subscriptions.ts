import type { LoggerService } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { GroupMember } from '../channel-layer';
import type { GroupName } from '../group-name';
import type { LocalGroups } from '../local-groups';
import type { RedisKeys } from './redis-keys';

const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** Member ids are `<instance id>.<n>`: the instance part says which instance channel to use. */
const MEMBER_ID = /^([0-9a-f]{32})\.[0-9]+$/;

/** A `sendTo` frame, addressed: what to publish where. */
export interface DirectMessage {
  channel: string;
  payload: Buffer;
}

/**
 * The `sub` connection: which channels it holds, and what arrives on them. The instance channel
 * (for `sendTo`) is always subscribed; a group channel while the group has a local member.
 *
 * Commands on one connection run in order, so a SUBSCRIBE, an UNSUBSCRIBE (last leave) and a
 * SUBSCRIBE again (next join) of the same group cannot overtake each other.
 */
export class RedisSubscriptions {
  /** In-flight SUBSCRIBE per group: a second joiner waits for the same confirmation. */
  private readonly pending = new Map<GroupName, Promise<void>>();
  /** Every local group channel and the instance channel are subscribed on the current socket. */
  private complete = false;

  constructor(
    private readonly sub: Redis,
    private readonly keys: RedisKeys,
    private readonly groups: LocalGroups,
    private readonly members: ReadonlyMap<string, GroupMember>,
    private readonly logger: LoggerService,
  ) {
    sub.on('messageBuffer', (channel: Buffer, message: Buffer) => this.receive(channel, message));
  }

  get ready(): boolean {
    return this.complete && this.sub.status === 'ready';
  }

  /** The socket dropped: Redis forgot every subscription of it. */
  lost(): void {
    this.complete = false;
  }

  /**
   * Subscribes the instance channel and every local group channel (at start, and after `sub`
   * reconnects, since ioredis' own `autoResubscribe` is off), then reports ready.
   */
  async subscribeAll(): Promise<void> {
    const channels = [this.keys.instanceChannel()];
    for (const group of this.groups.names()) channels.push(this.keys.groupChannel(group));
    await this.sub.subscribe(...channels);
    if (this.sub.status === 'ready') this.complete = true;
  }

  /** After a reconnect: like `subscribeAll`, but a failure starts over on a fresh socket. */
  async resubscribe(): Promise<void> {
    try {
      await this.subscribeAll();
    } catch (error) {
      this.logger.error(`re-subscribing after a reconnect failed: ${String(error)}`);
      if (this.sub.status === 'ready') this.sub.disconnect(true);
    }
  }

  /** SUBSCRIBE on the first local join; resolves once Redis confirms it. */
  subscribe(group: GroupName): Promise<void> {
    const pending = this.sub.subscribe(this.keys.groupChannel(group)).then(() => undefined);
    this.pending.set(group, pending);
    const forget = (): void => {
      if (this.pending.get(group) === pending) this.pending.delete(group);
    };
    pending.then(forget, forget);
    return pending;
  }

  /** The SUBSCRIBE still in flight for `group`, if any. */
  inFlight(group: GroupName): Promise<void> | undefined {
    return this.pending.get(group);
  }

  /**
   * UNSUBSCRIBE on the last local leave. Also while a re-subscribe is in flight: it may include
   * this group, and an UNSUBSCRIBE queued after it undoes it. With the socket down there is
   * nothing to undo.
   */
  async unsubscribe(group: GroupName): Promise<void> {
    if (this.sub.status !== 'ready') return;
    await this.sub.unsubscribe(this.keys.groupChannel(group));
  }

  /**
   * Resolves once what Redis published to this connection's channels before now has been received
   * and handed on: Redis answers a PING on a subscribed connection after the messages it queued
   * for it before. Never rejects: with `sub` down there is nothing to wait for.
   */
  async caughtUp(): Promise<void> {
    if (this.sub.status !== 'ready') return;
    await this.sub.ping().catch(() => undefined);
  }

  /**
   * `<member id>\n<frame>` for the channel of the member's instance, which hands the frame to the
   * member if it is still connected there (`receiveDirect`). Undefined for an id no instance
   * could have issued, or a member of this instance that is gone.
   */
  direct(memberId: string, frame: Buffer): DirectMessage | undefined {
    const instance = MEMBER_ID.exec(memberId)?.[1];
    if (instance === undefined) return undefined;
    if (instance === this.keys.instanceId && !this.members.has(memberId)) return undefined;
    return {
      channel: this.keys.instanceChannel(instance),
      payload: Buffer.concat([Buffer.from(`${memberId}\n`), frame]),
    };
  }

  /** One bad message is logged and dropped; it never stops the ones after it. */
  private receive(channel: Buffer, message: Buffer): void {
    try {
      const name = channel.toString();
      const group = this.keys.groupOfChannel(name);
      if (group !== undefined) {
        if (!this.groups.has(group)) return;
        // Only the send script publishes here; anything else is foreign and must not reach a
        // peer. Checking the braces is enough to stop garbage without parsing every frame.
        if (message[0] !== OPEN_BRACE || message[message.length - 1] !== CLOSE_BRACE) {
          this.logger.warn(`dropped a ${message.length}-byte message that is no frame on ${name}`);
          return;
        }
        this.groups.deliverReceived(group, message);
      } else if (name === this.keys.instanceChannel()) {
        this.receiveDirect(message);
      }
    } catch (error) {
      this.logger.error(`receiving on ${channel.toString()} failed: ${String(error)}`);
    }
  }

  /** `<member id>\n<frame>` from `sendTo` on some instance; a member gone since is skipped. */
  private receiveDirect(message: Buffer): void {
    const newline = message.indexOf(NEWLINE);
    const member = newline > 0 ? this.members.get(message.toString('latin1', 0, newline)) : undefined;
    if (member) this.groups.deliverTo(member, message.subarray(newline + 1));
  }
}
