import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { AuthUser } from '../auth/user';
import { AppConfig } from '../config/app-config';
import { ChannelLayer, type HistoryFrom } from '../layer/channel-layer';
import type { GroupName } from '../layer/group-name';
import { Peer } from './peer';
import { WriteHolds } from './write-holds';

/**
 * The open peers of this instance: opens them into their groups, closes them out, and keeps them
 * honest with protocol pings. One interval for all peers rather than a timer per socket.
 */
@Injectable()
export class PeerHub implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PeerHub.name);
  private readonly peers = new Set<Peer>();
  private readonly writes = new WriteHolds();
  private heartbeat?: NodeJS.Timeout;

  constructor(
    @Inject(ChannelLayer) private readonly layer: ChannelLayer,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.heartbeat = setInterval(() => this.pingAll(), this.config.WS_PING_INTERVAL_MS);
    this.heartbeat.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.heartbeat);
    for (const peer of this.peers) peer.close(1001, 'server shutting down');
  }

  get size(): number {
    return this.peers.size;
  }

  /**
   * Creates a peer, joins its groups and, for a resuming peer, reads what it missed from its one
   * group's history (after the join: nothing falls between the two). Rejects, leaving nothing
   * behind, when the layer can't.
   */
  async open<P>(user: AuthUser, params: P, groups: GroupName[], resume?: HistoryFrom): Promise<Peer<P>> {
    const peer = new Peer(this.layer.newMemberId(), user, params, this.writes);
    try {
      await this.layer.connect(peer);
      for (const group of groups) await this.layer.join(group, peer);
      if (resume) peer.resume(await this.layer.history(onlyGroup(groups), resume));
    } catch (error) {
      await this.layer.disconnect(peer);
      throw error;
    }
    this.peers.add(peer);
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
    await this.layer.disconnect(peer);
  }

  /** A peer that let two pings go unanswered is gone (a dead NAT, a sleeping laptop). */
  private pingAll(): void {
    for (const peer of this.peers) {
      if (peer.missedPongs >= 2) {
        this.logger.debug(`dropping ${peer.id}: no pong to two pings`);
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
