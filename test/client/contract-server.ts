import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { Queue } from './client-support';

/** One group of the fake server: its numbered frames (history) and the cids it accepted. */
interface Group {
  nextId: number;
  history: Array<{ id: number; text: string }>;
  cids: Map<string, number>;
}

/** A socket of the fake server, with its handshake URL and the text frames it received. */
export interface ServerSocket {
  readonly path: string;
  readonly url: URL;
  readonly socket: WebSocket;
  readonly received: string[];
}

/** What the next chat/room frame with a `cid` gets instead of the normal accept-and-ack. */
export type Mishap =
  /** Accepted (numbered, in history, delivered to the group's other sockets), then the sender's socket is dropped before its ack. */
  | { kind: 'drop-before-ack' }
  /** Answered with an error frame of `code`, not accepted. */
  | { kind: 'error'; code: number };

/**
 * A small `ws` server that speaks the delivery frames of the wire contract, for the client's
 * tests: one group per path, ids that increase by one from `firstId`, a history per group,
 * `?since=` replay (gap frame first when history no longer reaches back), `cid` acks (a resend of
 * a known cid gets the original id and is not delivered again), snapshots for `{"type": topic}`,
 * `ping` → `pong`. It replays before it reads anything the client sent, as the real server does.
 * Token checks are left out: every handshake is accepted unless `hold()` is on (then it answers
 * 503, and a plain GET answers ws's 426, so the client retries).
 */
export class ContractServer {
  readonly connections = new Queue<ServerSocket>();
  readonly sockets: ServerSocket[] = [];
  readonly snapshots = new Map<string, unknown>();
  private readonly groups = new Map<string, Group>();
  private readonly mishaps: Mishap[] = [];

  private constructor(
    private readonly server: WebSocketServer,
    readonly base: string,
    private readonly firstId: number,
    private readonly gate: { holding: boolean },
  ) {}

  static async start(firstId = 1795438931376000): Promise<ContractServer> {
    const gate = { holding: false };
    const server = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      verifyClient: (_info, done) => (gate.holding ? done(false, 503) : done(true)),
    });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const contract = new ContractServer(server, `ws://127.0.0.1:${port}`, firstId, gate);
    server.on('connection', (socket, request) => contract.accept(socket, request));
    return contract;
  }

  /** Handshakes are refused (503) until `release()`. */
  hold(): void {
    this.gate.holding = true;
  }

  release(): void {
    this.gate.holding = false;
  }

  /** Drops every open socket of `path` (all paths when omitted), as a crashed server would. */
  drop(path?: string): void {
    for (const open of this.sockets) if (path === undefined || open.path === path) open.socket.terminate();
  }

  /** Makes the next chat/room frames with a `cid` go wrong, one mishap each, in order. */
  mishap(...mishaps: Mishap[]): void {
    this.mishaps.push(...mishaps);
  }

  /** Numbers `frame` in the group of `path`, keeps it in history and sends it to the group's sockets. */
  publish(path: string, frame: Record<string, unknown>, except?: WebSocket): number {
    const group = this.group(path);
    const id = group.nextId++;
    const text = JSON.stringify({ ...frame, id });
    group.history.push({ id, text });
    for (const open of this.sockets) {
      if (open.path === path && open.socket !== except && open.socket.readyState === WebSocket.OPEN) {
        open.socket.send(text);
      }
    }
    return id;
  }

  /** Forgets all but the last `keep` messages of the group, as a full or expired history does. */
  trim(path: string, keep: number): void {
    const group = this.group(path);
    group.history.splice(0, Math.max(0, group.history.length - keep));
  }

  /** The last id of `path`'s group (undefined before its first message). */
  lastId(path: string): number | undefined {
    return this.group(path).history.at(-1)?.id;
  }

  async stop(): Promise<void> {
    for (const socket of this.server.clients) socket.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private group(path: string): Group {
    let group = this.groups.get(path);
    if (!group) this.groups.set(path, (group = { nextId: this.firstId, history: [], cids: new Map() }));
    return group;
  }

  private accept(socket: WebSocket, request: IncomingMessage): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const open: ServerSocket = { path: url.pathname, url, socket, received: [] };
    this.sockets.push(open);
    const since = url.searchParams.get('since');
    if (since !== null) this.replay(open, Number(since));
    socket.on('message', (data: Buffer) => this.handle(open, data.toString()));
    this.connections.push(open);
  }

  private replay(open: ServerSocket, since: number): void {
    const group = this.group(open.path);
    const last = group.history.at(-1)?.id ?? group.nextId - 1;
    const oldest = group.history[0]?.id;
    if (since < last && (oldest === undefined || oldest > since + 1)) {
      open.socket.send(JSON.stringify({ type: 'gap', since, first: oldest ?? null }));
    }
    for (const { id, text } of group.history) if (id > since) open.socket.send(text);
  }

  private handle(open: ServerSocket, text: string): void {
    // `ws` still emits the frames that came in the same read as one it dropped the socket on.
    if (open.socket.readyState !== WebSocket.OPEN) return;
    open.received.push(text);
    if (text === 'ping') return open.socket.send('pong');
    const frame = JSON.parse(text) as Record<string, unknown>;
    if (typeof frame.type === 'string') {
      return open.socket.send(JSON.stringify({ type: frame.type, data: this.snapshots.get(frame.type) ?? null }));
    }
    const group = this.group(open.path);
    const cid = typeof frame.cid === 'string' ? frame.cid : undefined;
    const known = cid === undefined ? undefined : group.cids.get(cid);
    if (known !== undefined) return open.socket.send(JSON.stringify({ type: 'ack', id: known }));
    const mishap = cid === undefined ? undefined : this.mishaps.shift();
    if (mishap?.kind === 'error') {
      return open.socket.send(JSON.stringify({ type: 'error', code: mishap.code, msg: `refused with ${mishap.code}` }));
    }
    const body = { ...frame };
    delete body.cid;
    delete body.to_user;
    const delivered = { ...body, from: 'alice', ts: 1795438931000 };
    if (mishap?.kind === 'drop-before-ack') {
      const id = this.publish(open.path, delivered, open.socket);
      if (cid !== undefined) group.cids.set(cid, id);
      open.socket.terminate();
      return;
    }
    const id = this.publish(open.path, delivered);
    if (cid !== undefined) group.cids.set(cid, id);
    open.socket.send(JSON.stringify({ type: 'ack', id }));
  }
}
