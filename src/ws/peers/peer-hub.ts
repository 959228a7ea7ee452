import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { AuthUser } from '../../auth/user';
import { AppConfig } from '../../config/app-config';
import { ChannelLayer, type HistoryFrom } from '../../layer/channel-layer';
import type { GroupName } from '../../layer/group-name';
import { Presence } from '../../layer/presence';
import { Metrics } from '../../metrics/metrics.service';
import type { EndpointCounts } from '../../metrics/ws-counts';
import { Peer } from './peer';
import { SlowConsumers } from './slow-consumers';
import { TokenExpiry } from '../handshake/token-expiry';
import { WriteHolds } from './write-holds';
import { HandshakeRefusal } from '../ws-route';

/**
 * The open peers of this instance: opens them into their groups, closes them out, and keeps them
 * honest with protocol pings. One interval for all peers rather than a timer per socket. Each
 * open peer holds one of its user's `WS_MAX_CONNECTIONS_PER_USER` socket claims (see `Presence`).
 */
@Injectable()
export class PeerHub implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PeerHub.name);
  private readonly peers = new Set<Peer>();
  private readonly writes = new WriteHolds();
  private readonly slow: SlowConsumers;
  private heartbeat?: NodeJS.Timeout;
  /** Waiting for the last peer to close (see `closeAll`). */
  private emptyWaiters: (() => void)[] = [];

  constructor(
    @Inject(ChannelLayer) private readonly layer: ChannelLayer,
    @Inject(Presence) private readonly presence: Presence,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly expiry: TokenExpiry,
  ) {
    this.slow = new SlowConsumers(config.WS_MAX_BUFFERED_BYTES, metrics);
  }

  onModuleInit(): void {
    this.heartbeat = setInterval(() => this.pingAll(), this.config.WS_PING_INTERVAL_MS);
    this.heartbeat.unref();
  }

  /** The sockets are closed by then: by `GracefulShutdown`, and what is left by the adapter. */
  onApplicationShutdown(): void {
    clearInterval(this.heartbeat);
  }

  get size(): number {
    return this.peers.size;
  }

  /**
   * Claims one of the user's sockets, creates a peer, joins its groups and, for a resuming peer,
   * reads what it missed from its one group's history (after the join: nothing falls between the
   * two). Rejects, leaving nothing behind: a 429 refusal when the user has all their sockets open,
   * `LayerUnavailableError` when the layer can't. `counts`: the endpoint's (see `Metrics.ws`).
   */
  async open<P>(
    user: AuthUser,
    params: P,
    groups: GroupName[],
    resume?: HistoryFrom,
    counts?: EndpointCounts,
  ): Promise<Peer<P>> {
    const peer = new Peer(this.layer.newMemberId(), user, params, this.writes, this.slow, counts);
    let gap = false;
    if (!(await this.presence.claimSocket(peer, this.config.WS_MAX_CONNECTIONS_PER_USER))) {
      this.metrics.rateLimited.inc({ limit: 'connections' });
      throw new HandshakeRefusal(429, 'too many open sockets for this user');
    }
    try {
      await this.layer.connect(peer);
      for (const group of groups) await this.layer.join(group, peer);
      if (resume) {
        const read = await this.layer.history(onlyGroup(groups), resume);
        gap = read.gap !== null;
        peer.resume(read);
      }
      // The token was checked before the joins, which take time. Checked again here, where no
      // timer can run before the adapter attaches the socket: an expiry scheduled from now on
      // finds the socket there to close.
      if (user.expiresAt !== undefined && user.expiresAt <= Date.now())
        throw new HandshakeRefusal(401, 'token expired');
    } catch (error) {
      await this.layer.disconnect(peer);
      await this.presence.releaseSocket(peer);
      throw error;
    }
    this.peers.add(peer);
    this.expiry.watch(peer);
    // Its gap frame is the first frame the socket gets.
    if (gap) this.metrics.layer.gaps.resume += 1;
    return peer;
  }

  /**
   * Marks everything sent to the inbox `group` so far as received, once `peer`'s client has shown
   * it read its replay (see `RoutedWsAdapter`); what was sent since it joined reaches it live. A
   * failure here is logged: the next connect then gets those pushes again rather than none.
   */
  async received(peer: Peer, group: GroupName): Promise<void> {
    if (!peer.isOpen) return;
    try {
      // A read after the last possible id returns nothing, and marks up to the group's last id.
      await this.layer.history(group, { after: Number.MAX_SAFE_INTEGER, markReceived: true });
    } catch (error) {
      this.logger.warn(`inbox ${group} not marked received: ${String(error)}`);
    }
  }

  async close(peer: Peer): Promise<void> {
    if (!this.peers.delete(peer)) return;
    this.expiry.forget(peer);
    if (this.peers.size === 0 && this.emptyWaiters.length > 0) this.wakeEmpty();
    // Both at once: the user's next socket should not wait for the presence writes.
    await Promise.all([this.layer.disconnect(peer), this.presence.releaseSocket(peer)]);
  }

  /** Resolves once what is queued for every peer has been written (shutdown, before `closeAll`). */
  async flushed(): Promise<void> {
    await Promise.all([...this.peers].map((peer) => peer.flushed()));
  }

  /**
   * Sends every peer the close frame, after what is queued for it, and resolves once every peer
   * has closed (including one still joining its groups, which the adapter refuses while draining).
   */
  closeAll(code: number, reason: string): Promise<void> {
    for (const peer of this.peers) peer.close(code, reason);
    if (this.peers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }

  /** Cuts every peer still open (a client that never answered the close); returns how many. */
  cutAll(): number {
    for (const peer of this.peers) peer.terminate();
    return this.peers.size;
  }

  private wakeEmpty(): void {
    const waiters = this.emptyWaiters;
    this.emptyWaiters = [];
    for (const wake of waiters) wake();
  }

  /** A peer that let two pings go unanswered is gone (a dead NAT, a sleeping laptop). */
  private pingAll(): void {
    for (const peer of this.peers) {
      if (peer.missedPongs >= 2) {
        this.logger.debug({ msg: 'dropping a socket: no pong to two pings', user: peer.userId, peer: peer.id });
        peer.terminate();
        continue;
      }
      peer.missedPongs += 1;
      peer.ping();
    }
  }
}

/** A resuming socket's group: routes that resume (`WsRoute.resume`) have exactly one. */
function onlyGroup(groups: GroupName[]): GroupName {
  if (groups.length !== 1) throw new Error(`a resuming socket belongs to one group, not ${groups.length}`);
  return groups[0];
}
