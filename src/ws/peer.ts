import { WebSocket } from 'ws';
import type { AuthUser } from '../auth/user';
import type { ErrorCode, ReplyFrame } from '../common/frames';
import type { GroupMember } from '../layer/channel-layer';

/** Shared send options: group frames are text, already framed bytes, never compressed. */
const TEXT = { binary: false, compress: false } as const;

/**
 * One authenticated WebSocket connection: what gateways receive as their client, and the
 * `GroupMember` the layer delivers to. It exists before the socket does (groups are joined before
 * the upgrade completes); frames that arrive in between are held and flushed on `attach`.
 */
export class Peer<P = unknown> implements GroupMember {
  /** Protocol pings sent since the last pong (see `PeerHub`). */
  missedPongs = 0;
  private socket?: WebSocket;
  private held: Buffer[] | undefined = [];
  /** Frames from this peer are handled one after another, in the order they came. */
  private inbox: Promise<void> = Promise.resolve();

  constructor(
    readonly id: string,
    readonly user: AuthUser,
    readonly params: P,
  ) {}

  get userId(): string {
    return this.user.id;
  }

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  attach(socket: WebSocket): void {
    this.socket = socket;
    const held = this.held ?? [];
    this.held = undefined;
    for (const frame of held) this.deliver(frame);
  }

  /** Group frames from the layer: the same Buffer for every recipient, written as it is. */
  deliver(frame: Buffer): void {
    if (this.held) this.held.push(frame);
    else if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(frame, TEXT);
  }

  send(frame: ReplyFrame): void {
    this.sendText(JSON.stringify(frame));
  }

  sendText(text: string): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(text, TEXT);
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

  ping(): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.ping();
  }

  /** Queues work on this peer's inbox; `task` must not reject (it reports its own failures). */
  enqueue(task: () => Promise<void>): void {
    this.inbox = this.inbox.then(task);
  }
}
