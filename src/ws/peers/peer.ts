import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import type { AuthUser } from '../../auth/user';
import { gapFrame, type ErrorCode, type ReplyFrame } from '../../wire/serialise';
import type { GroupMember, HistoryRead } from '../../layer/channel-layer';
import { idOf } from '../../wire/numbered';
import { EndpointCounts } from '../../metrics/ws-counts';
import type { SlowConsumers } from './slow-consumers';
import { SharedFraming, textFrame } from '../frames/text-frame';
import type { HeldWrites, WriteHolds } from './write-holds';

/** One cache for the process: it only remembers the last broadcast, by identity. */
const broadcasts = new SharedFraming();

const NOTHING = Buffer.alloc(0);

/**
 * One authenticated WebSocket connection: what gateways receive as their client, and the
 * `GroupMember` the layer delivers to. It exists before the socket does (groups are joined before
 * the upgrade completes); frames that arrive in between are held and flushed on `attach`. A
 * resuming peer (`?since=`) belongs to one group: what it missed is put before the held frames.
 */
export class Peer<P = unknown> implements GroupMember, HeldWrites {
  /** Protocol pings sent since the last pong (see `PeerHub`). */
  missedPongs = 0;
  private socket?: WebSocket;
  /** The TCP connection under `socket`, to cork (see `holdWrites`). */
  private connection?: Duplex;
  private holding = false;
  private held: Buffer[] | undefined = [];
  /** After a resume: live frames up to this id came in the replay, and are dropped. */
  private replayedThrough: number | undefined;
  /**
   * Frames from this peer are handled one after another, in the order they came: a frame that
   * arrives while another is handled waits here. The first one starts at once (no promise chain
   * to wait on): that is every frame of a peer that waits for its ack.
   */
  private waiting?: (() => Promise<void>)[];
  private handling = false;
  /** Unsent bytes past which this peer is a slow consumer: the limit, plus an attach replay until it has left. */
  private maxBuffered: number;

  constructor(
    readonly id: string,
    readonly user: AuthUser,
    readonly params: P,
    private readonly writes: WriteHolds,
    private readonly slow: SlowConsumers,
    /** The endpoint's counts, shared by its peers: `written` is one `++` per frame written. */
    readonly counts: EndpointCounts = new EndpointCounts(),
  ) {
    this.maxBuffered = slow.limit;
  }

  get userId(): string {
    return this.user.id;
  }

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  attach(socket: WebSocket, connection: Duplex): void {
    this.socket = socket;
    this.connection = connection;
    const held = this.held ?? [];
    this.held = undefined;
    if (held.length === 0 || !this.isOpen) return;
    this.counts.written += held.length;
    // Written as they are: `deliver` and `resume` already dropped what a replay carried. A replay
    // (up to HISTORY_SIZE frames) may pass the limit at once, legitimately: it is allowed on top
    // of the limit until its last frame has left for the kernel.
    const last = held.length - 1;
    for (let i = 0; i < last; i += 1) connection.write(broadcasts.of(held[i]));
    connection.write(broadcasts.of(held[last]), () => (this.maxBuffered = this.slow.limit));
    if (connection.writableLength > 0) this.maxBuffered = this.slow.limit + connection.writableLength;
  }

  /** Group frames from the layer: the same Buffer for every recipient, framed once for all. */
  deliver(frame: Buffer): void {
    if (this.replayedThrough !== undefined && this.replayed(frame)) return;
    if (this.held) this.held.push(frame);
    else this.write(broadcasts.of(frame));
  }

  /**
   * Puts what a history read found (the gap frame, then the frames after `since`) before the live
   * frames held since the join, and from then on drops live frames the replay already carried:
   * the join came first, so together they miss nothing. Only before `attach`.
   */
  resume(read: HistoryRead): void {
    if (!this.held) throw new Error('resume comes before attach');
    const missed = read.gap ? [Buffer.from(gapFrame(read.gap)), ...read.frames] : read.frames;
    this.replayedThrough = read.through ?? undefined;
    this.held = [...missed, ...this.held.filter((frame) => !this.replayed(frame))];
  }

  /** Whether a live frame was in the replay; past the first one that was not, none is. */
  private replayed(frame: Buffer): boolean {
    const through = this.replayedThrough;
    if (through === undefined || !(idOf(frame) <= through)) {
      this.replayedThrough = undefined;
      return false;
    }
    return true;
  }

  send(frame: ReplyFrame): void {
    this.sendText(JSON.stringify(frame));
  }

  sendText(text: string): void {
    this.write(textFrame(text));
  }

  /**
   * Holds this socket's writes (corks its TCP connection) while a frame from it is handled, so
   * that the replies (the ack, the sender's own copy of a chat message) leave in one `writev`:
   * on loopback TCP the system call is most of what a frame costs (bench/README.md). Released
   * by `releaseWrites` once the handler has answered, and at the latest at the end of the
   * event-loop turn. Only for a peer that sent a frame: corking every recipient of a broadcast,
   * each getting one frame, made fan-out to 10,000 sockets cost ~20% more CPU per delivery.
   */
  holdWrites(): void {
    if (this.holding || !this.connection) return;
    this.holding = true;
    this.connection.cork();
    this.writes.releaseAtEndOfTurn(this);
  }

  releaseWrites(): void {
    if (!this.holding) return;
    this.holding = false;
    this.connection?.uncork();
  }

  /**
   * Writes a whole WebSocket frame straight to the connection, past `ws`'s sender. Safe because
   * that sender never holds frames back here (no compression, no Blobs), so this and its own
   * frames (pings, close) leave in the order they were written. Drops the frame unless the socket
   * is open: a closing peer is not an error, and a slow consumer is closing. `writableLength` is
   * all this socket has unsent in the process: `ws`'s sender writes its pings and close frames to
   * the same connection and holds nothing back itself.
   */
  private write(frame: Buffer): void {
    const connection = this.connection;
    if (this.socket?.readyState !== WebSocket.OPEN || !connection) return;
    connection.write(frame);
    this.counts.written += 1;
    if (connection.writableLength > this.maxBuffered) this.slow.cut(this, connection.writableLength);
  }

  sendError(code: ErrorCode, msg: string): void {
    this.send({ type: 'error', code, msg });
  }

  close(code: number, reason?: string): void {
    this.socket?.close(code, reason);
  }

  terminate(): void {
    this.socket?.terminate();
  }

  /**
   * Resolves once every byte queued for this socket so far has been handed to the kernel, or
   * the connection is gone (for shutdown: write what is queued before closing). An empty write's
   * callback runs after the writes before it, whether or not the stream ever asked for 'drain'.
   */
  flushed(): Promise<void> {
    const connection = this.connection;
    if (!connection || !connection.writable || connection.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        connection.off('close', done);
        resolve();
      };
      connection.once('close', done);
      connection.write(NOTHING, done);
    });
  }

  ping(): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.ping();
  }

  /** Runs `task` once the frames before it are handled; `task` must not reject (it reports its own failures). */
  enqueue(task: () => Promise<void>): void {
    if (this.handling) (this.waiting ??= []).push(task);
    else this.start(task);
  }

  private start(task: () => Promise<void>): void {
    this.handling = true;
    void task().then(() => {
      const next = this.waiting?.shift();
      if (next) this.start(next);
      else this.handling = false;
    });
  }
}
