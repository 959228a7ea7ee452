/**
 * One soak subscriber: a client's stay in one group, over as many sockets as it takes. It opens,
 * may drop its connection at random (`terminate`, as a network would) and come back with
 * `?since=<the last id it got>`, may first abort a handshake half-way, sends chat or room
 * messages with a `cid` and notes each ack, and finally leaves with a clean close. Everything it
 * sees goes into its `SubRecord` for the ledger.
 */
import { WebSocket } from 'ws';
import { now, signToken, sleep } from './common';
import type { Busy, Kind, SendRecord, SubRecord } from './soak-ledger';

export interface SoakWorld {
  ports: number[];
  secret: string;
  /** Set once the run's duration is over: no new sends, blips or aborted handshakes. */
  stopping: boolean;
  /** Set when the drain is over: every subscriber leaves now. */
  finishing: boolean;
  sends: SendRecord[];
  busy: Busy[];
  subs: SubRecord[];
  /** The highest id seen per group in this worker: a reconnect's `since` before it got any. */
  seen: Map<string, number>;
  stats: Record<string, number>;
  /** Frames received, for the drain's "nothing more is coming". */
  frames: number;
  /** Subscribers between sockets, or with a send waiting for its ack. */
  unsettled: number;
}

export interface SubPlan {
  kind: Kind;
  group: string;
  path: string;
  user: string;
  lifetimeMs: number;
  /** Chat: the other member (`to_user`); room: '' (room frames need no addressee). */
  to?: string;
  /** Mean ms between two messages this subscriber sends; 0 for none. */
  sendEveryMs: number;
  paused?: boolean;
  /** Push only: abort a handshake half-way before the first socket (the push inbox case). */
  abortFirst?: boolean;
}

/** A subscriber looks around once a second: sends (with the odds of its rate), blips, leaves. */
const CHECK_MS = 1000;
const rand = (lo: number, hi: number): number => lo + Math.random() * (hi - lo);
const bump = (world: SoakWorld, key: string): void => {
  world.stats[key] = (world.stats[key] ?? 0) + 1;
};

export class Sub {
  readonly rec: SubRecord;
  private ws?: WebSocket;
  private lastId?: number;
  private sinceAtOpen?: number;
  private pending: { start: number }[] = [];
  private readonly token: string;
  private seq = 0;
  private wake?: () => void;

  constructor(
    private readonly world: SoakWorld,
    private readonly plan: SubPlan,
  ) {
    this.token = signToken(world.secret, plan.user);
    this.rec = {
      group: plan.group,
      kind: plan.kind,
      user: plan.user,
      firstOpen: NaN,
      end: NaN,
      paused: plan.paused === true,
      closed1013: false,
      ids: [],
      gaps: 0,
      sockets: [],
    };
    world.subs.push(this.rec);
  }

  /** The subscriber's whole life; resolves once its last socket is closed. */
  async live(): Promise<void> {
    const leaveAt = now() + this.plan.lifetimeMs;
    if (this.plan.abortFirst) await this.abortedHandshake();
    while (!this.world.finishing && (this.world.stopping || now() < leaveAt)) {
      const ws = await this.connect(leaveAt);
      if (!ws) continue;
      const outcome = await this.stay(ws, leaveAt);
      if (outcome === 'closed1013') return;
      if (outcome === 'leave') break;
      bump(this.world, outcome === 'blip' ? 'blips' : 'server closes');
    }
    await this.leave();
  }

  /** Wakes a subscriber waiting out its stay (the drain is over). */
  poke(): void {
    this.wake?.();
  }

  /** Opens one socket; undefined (after a short backoff) when the handshake failed. */
  private async connect(leaveAt: number): Promise<WebSocket | undefined> {
    // Before any id arrived, a reconnect resumes from the highest id this worker had seen in the
    // group when the first socket opened: every message due to this subscriber came after it.
    const since = this.lastId ?? this.sinceAtOpen;
    const ws = this.open(since);
    this.world.unsettled++;
    const opened = await new Promise<boolean>((resolve) => {
      ws.once('open', () => resolve(true));
      ws.once('close', () => resolve(false));
    });
    this.world.unsettled--;
    if (opened) {
      const entry: [number, number, number] = [now(), NaN, since ?? -1];
      this.rec.sockets.push(entry);
      ws.once('close', () => (entry[1] = now()));
      if (!Number.isFinite(this.rec.firstOpen)) {
        this.rec.firstOpen = now();
        this.sinceAtOpen = this.world.seen.get(this.plan.group) ?? 0;
      }
      bump(this.world, 'sockets opened');
      return ws;
    }
    await sleep(Math.min(rand(100, 600), Math.max(0, leaveAt - now())));
    return undefined;
  }

  private open(since: number | undefined): WebSocket {
    const port = this.world.ports[Math.floor(Math.random() * this.world.ports.length)];
    const query = since === undefined ? '' : `&since=${since}`;
    const ws = new WebSocket(`ws://127.0.0.1:${port}${this.plan.path}?token=${this.token}${query}`, {
      perMessageDeflate: false,
      handshakeTimeout: 20_000,
    });
    const busy: Busy = { user: this.plan.user, start: now(), end: Infinity };
    if (this.plan.kind === 'push') this.world.busy.push(busy);
    ws.on('unexpected-response', (_req, res) => {
      bump(this.world, `refused ${res.statusCode ?? 0}`);
      res.resume();
      ws.terminate();
    });
    ws.on('error', (error: NodeJS.ErrnoException) => {
      if (ws.readyState === WebSocket.OPEN || error.message.includes('closed before')) return;
      bump(this.world, `handshake ${error.code ?? error.message}`);
    });
    ws.on('close', () => (busy.end = now()));
    ws.on('message', (data: Buffer) => this.onFrame(data));
    return ws;
  }

  /** Opens a socket and tears it down a few ms later, often after the server joined its group. */
  private async abortedHandshake(): Promise<void> {
    const ws = this.open(undefined);
    ws.on('error', () => undefined);
    await sleep(rand(0, 15));
    bump(this.world, 'aborted handshakes');
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    ws.terminate();
    await closed;
  }

  /** Holds the socket open, sending now and then; says how it ended. */
  private async stay(ws: WebSocket, leaveAt: number): Promise<'blip' | 'leave' | 'server' | 'closed1013'> {
    this.ws = ws;
    if (this.plan.paused) ws.pause();
    const blipAt = this.plan.paused || Math.random() < 0.5 ? Infinity : now() + rand(1000, 15_000);
    let code = 0;
    const closed = new Promise<void>((resolve) =>
      ws.once('close', (c: number) => {
        code = c;
        resolve();
      }),
    );
    let open = true;
    void closed.then(() => (open = false));
    while (open && !this.world.finishing) {
      const until = this.world.stopping ? Infinity : Math.min(leaveAt, blipAt);
      const wait = Math.max(0, Math.min(until - now(), CHECK_MS));
      await Promise.race([closed, sleep(wait), new Promise<void>((wake) => (this.wake = wake))]);
      if (!open || this.world.finishing) break;
      if (!this.world.stopping && now() >= blipAt) {
        this.dropPending();
        ws.terminate();
        await closed;
        return 'blip';
      }
      if (!this.world.stopping && now() >= leaveAt) return 'leave';
      const due = this.plan.sendEveryMs > 0 && Math.random() < CHECK_MS / this.plan.sendEveryMs;
      if (!this.world.stopping && due) this.send(ws);
    }
    if (!open) {
      this.dropPending();
      if (code === 1013) {
        this.rec.end = now();
        this.rec.closed1013 = true;
        bump(this.world, 'closed 1013');
        return 'closed1013';
      }
      bump(this.world, `closed ${code}`);
      return 'server';
    }
    return 'leave';
  }

  private send(ws: WebSocket): void {
    const cid = `${this.plan.user}-${++this.seq}`;
    const frame: Record<string, string> = { message: `soak ${cid}`, cid };
    if (this.plan.to) frame.to_user = this.plan.to;
    this.pending.push({ start: now() });
    this.world.unsettled++;
    ws.send(JSON.stringify(frame));
  }

  /** Sends whose ack will never come on this socket: not accepted as far as the ledger knows. */
  private dropPending(): void {
    this.world.unsettled -= this.pending.length;
    if (this.pending.length)
      this.world.stats['sends unacked'] = (this.world.stats['sends unacked'] ?? 0) + this.pending.length;
    this.pending = [];
  }

  private onFrame(data: Buffer): void {
    this.world.frames++;
    const frame = JSON.parse(data.toString()) as { type?: string; id?: number; code?: number };
    if (frame.type === 'ack' && typeof frame.id === 'number') {
      const sent = this.pending.shift();
      if (!sent) return bump(this.world, 'stray acks');
      this.world.unsettled--;
      this.world.sends.push({
        group: this.plan.group,
        sender: this.plan.kind === 'chat' ? this.plan.user : '',
        start: sent.start,
        accepted: now(),
        id: frame.id,
      });
      return this.note(frame.id, false);
    }
    if (frame.type === 'gap') this.rec.gaps++;
    else if (frame.type === 'error') {
      bump(this.world, `error frames ${frame.code ?? ''}`);
      // A refused send is answered with an error instead of an ack: it was never accepted.
      if (this.pending.shift()) this.world.unsettled--;
    } else if (typeof frame.id === 'number') this.note(frame.id, true);
  }

  private note(id: number, received: boolean): void {
    if (received) {
      this.rec.ids.push(id);
      this.lastId = id;
    }
    if (id > (this.world.seen.get(this.plan.group) ?? 0)) this.world.seen.set(this.plan.group, id);
  }

  /** A clean close (a paused reader is resumed first, to read how the server ended it). */
  private async leave(): Promise<void> {
    const ws = this.ws;
    this.rec.end = now();
    this.dropPending();
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
    if (this.plan.paused) ws.resume();
    ws.close(1000);
    const timer = setTimeout(() => ws.terminate(), 5000);
    const code = await closed;
    clearTimeout(timer);
    if (!this.plan.paused) return;
    // A paused reader sees how the server ended it only now that it reads again.
    bump(this.world, `paused reader closed ${code}`);
    if (code === 1013) this.rec.closed1013 = true;
  }
}
