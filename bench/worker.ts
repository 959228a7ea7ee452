/**
 * A client worker: a child process of `run.ts` holding a share of the benchmark's sockets. It
 * reads only what it must from each frame (a sequence number and a send time found with
 * `indexOf`), never a full JSON parse of a `ws` frame, so that one worker stays cheap.
 * Socket.IO frames are parsed by socket.io-client itself: that is part of using Socket.IO.
 */
import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import {
  chatGroup,
  now,
  signToken,
  userId,
  type Endpoint,
  type Protocol,
  type WorkerCommand,
  type WorkerReply,
} from './common';

const SECRET = process.env.BENCH_JWT_SECRET ?? '';
const BS = Buffer.from('"bs":');
const BT = Buffer.from('"bt":');
const CHAT_PREFIX = Buffer.from('{"message":"');
const ERROR_PREFIX = Buffer.from('{"type":"error"');
const ROLE_A = 97; // 'a'

type Client = { kind: 'ws'; ws: WebSocket } | { kind: 'sio'; socket: Socket };

let clients: (Client | undefined)[] = [];
let base = 0; // global index of clients[0]
let open = 0;
let dropped = 0;
let closing = false;

// fanout state
const counts: number[] = [];
const latencies: number[][] = [];
let lastSeq = new Int32Array(0);
let duplicates = 0;
let other = 0;

// chat state
let chatK = 0;
let chatAcks = false;
let pairSent = new Int32Array(0);
let pairGot = new Int32Array(0);
let pairsDone = 0;
let chatDelivered = 0;
let chatErrors = 0;
let rtts: number[] = [];
let chatFinish: ((timedOut: boolean) => void) | undefined;

function reply(message: WorkerReply): void {
  process.send?.(message);
}

/** An unsigned or negative decimal number written in ASCII at `at`, as JSON writes it. */
function readNumber(buf: Buffer, at: number): number {
  let i = at;
  const negative = buf[i] === 45;
  if (negative) i++;
  let whole = 0;
  for (; i < buf.length; i++) {
    const c = buf[i];
    if (c < 48 || c > 57) break;
    whole = whole * 10 + (c - 48);
  }
  let fraction = 0;
  let scale = 1;
  if (buf[i] === 46) {
    for (i++; i < buf.length; i++) {
      const c = buf[i];
      if (c < 48 || c > 57) break;
      fraction = fraction * 10 + (c - 48);
      scale *= 10;
    }
  }
  const value = whole + fraction / scale;
  return negative ? -value : value;
}

function onFanout(local: number, seq: number, sentAt: number): void {
  const received = now();
  if (seq <= lastSeq[local]) duplicates++;
  lastSeq[local] = seq;
  counts[seq] = (counts[seq] ?? 0) + 1;
  (latencies[seq] ??= []).push(received - sentAt);
  if (counts[seq] === open) reply({ op: 'got', seq });
}

function onFanoutFrame(local: number, buf: Buffer): void {
  const s = buf.indexOf(BS);
  const t = buf.indexOf(BT);
  if (s < 0 || t < 0) {
    other++;
    return;
  }
  onFanout(local, readNumber(buf, s + BS.length), readNumber(buf, t + BT.length));
}

const noop = (): void => undefined;

function sendChat(local: number, text: string): void {
  const client = clients[local];
  if (!client) return;
  if (client.kind === 'ws') client.ws.send(`{"message":"${text}"}`);
  else if (chatAcks) client.socket.emit('message', { message: text }, noop);
  else client.socket.emit('message', { message: text });
}

/** A chat frame from the other side of the pair: count it, time a round trip, answer. */
function onChat(local: number, role: number, sentAt: number): void {
  const global = base + local;
  const mine = global % 2 === 0 ? ROLE_A : ROLE_A + 1;
  if (role === mine) return; // the server's copy of our own message (this service sends one)
  const pair = local >> 1;
  chatDelivered++;
  pairGot[pair]++;
  if (mine === ROLE_A) rtts.push(now() - sentAt);
  if (pairSent[pair] < chatK) {
    pairSent[pair]++;
    // a starts a new round trip with a fresh time; b echoes a's time back
    sendChat(local, mine === ROLE_A ? `a${now().toFixed(3)}` : `b${sentAt.toFixed(3)}`);
  }
  if (pairGot[pair] === chatK && ++pairsDone === pairSent.length) chatFinish?.(false);
}

function onChatFrame(local: number, buf: Buffer): void {
  if (
    buf.length > CHAT_PREFIX.length + 1 &&
    buf.compare(CHAT_PREFIX, 0, CHAT_PREFIX.length, 0, CHAT_PREFIX.length) === 0
  ) {
    onChat(local, buf[CHAT_PREFIX.length], readNumber(buf, CHAT_PREFIX.length + 1));
  } else if (buf.compare(ERROR_PREFIX, 0, ERROR_PREFIX.length, 0, Math.min(buf.length, ERROR_PREFIX.length)) === 0) {
    chatErrors++;
  }
  // anything else (this service's acks) is not part of the exchange
}

function endpointOf(ep: Endpoint | 'mixed', global: number): Endpoint {
  if (ep !== 'mixed') return ep;
  return global % 2 === 0 ? 'all' : 'push';
}

function wsPath(ep: Endpoint, global: number): string {
  if (ep === 'all') return '/socket/all';
  if (ep === 'push') return `/push/${userId(global)}`;
  return `/ws/chat/${chatGroup(global >> 1)}`;
}

function sioQuery(ep: Endpoint, global: number): Record<string, string> {
  if (ep === 'all') return { ep };
  if (ep === 'push') return { ep, user: userId(global) };
  return { ep, group: chatGroup(global >> 1) };
}

/**
 * Opens one socket; `done` gets whether it opened, once. `onFrame` (ws) and the Socket.IO
 * listeners are attached before the handshake so nothing sent right after `open` is missed.
 */
function openOne(
  proto: Protocol,
  port: number,
  ep: Endpoint,
  global: number,
  token: string,
  timeoutMs: number,
  done: (ok: boolean, error?: string) => void,
): Client {
  const local = global - base;
  let settled = false;
  const settle = (ok: boolean, error?: string): void => {
    if (settled) return;
    settled = true;
    done(ok, error);
  };
  if (proto === 'ws') {
    const url = `ws://127.0.0.1:${port}${wsPath(ep, global)}?token=${token}`;
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: timeoutMs });
    if (ep === 'all') ws.on('message', (data: Buffer) => onFanoutFrame(local, data));
    else if (ep === 'chat') ws.on('message', (data: Buffer) => onChatFrame(local, data));
    else ws.on('message', () => other++);
    ws.on('open', () => settle(true));
    ws.on('error', (error) => settle(false, error.message));
    ws.on('close', () => {
      if (!settled) settle(false, 'closed before open');
      else if (!closing && clients[local] !== undefined) {
        clients[local] = undefined;
        open--;
        dropped++;
      }
    });
    return { kind: 'ws', ws };
  }
  const socket = io(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: timeoutMs,
    auth: { token },
    query: sioQuery(ep, global),
  });
  if (ep === 'all') {
    socket.on('all_patient_page_data', (data: { bs: number; bt: number }) => onFanout(local, data.bs, data.bt));
  } else if (ep === 'chat') {
    socket.on('message', (frame: { message: string }) =>
      onChat(local, frame.message.charCodeAt(0), Number(frame.message.slice(1))),
    );
  }
  socket.once('connect', () => settle(true));
  socket.once('connect_error', (error) => {
    settle(false, error.message);
    socket.close();
  });
  socket.on('disconnect', () => {
    if (!closing && settled && clients[local] !== undefined) {
      clients[local] = undefined;
      open--;
      dropped++;
    }
  });
  return { kind: 'sio', socket };
}

function closeClient(client: Client | undefined): void {
  if (!client) return;
  if (client.kind === 'ws') client.ws.terminate();
  else client.socket.disconnect();
}

async function openAll(cmd: Extract<WorkerCommand, { op: 'open' }>): Promise<WorkerReply> {
  const tokens = Array.from({ length: cmd.count }, (_, j) => signToken(SECRET, userId(cmd.from + j)));
  clients = new Array<Client | undefined>(cmd.count);
  base = cmd.from;
  lastSeq = new Int32Array(cmd.count).fill(-1);
  pairSent = new Int32Array(cmd.count >> 1);
  pairGot = new Int32Array(cmd.count >> 1);
  const errors: string[] = [];
  let ok = 0;
  let failed = 0;
  let next = 0;
  let inFlight = 0;
  const started = now();
  await new Promise<void>((resolve) => {
    const launch = (): void => {
      while (inFlight < cmd.concurrency && next < cmd.count) {
        const local = next++;
        const global = cmd.from + local;
        inFlight++;
        const port = cmd.ports[global % cmd.ports.length];
        clients[local] = openOne(
          cmd.proto,
          port,
          endpointOf(cmd.ep, global),
          global,
          tokens[local],
          cmd.timeoutMs,
          (opened, error) => {
            inFlight--;
            if (opened) {
              ok++;
              open++;
            } else {
              failed++;
              clients[local] = undefined;
              if (errors.length < 5 && error) errors.push(error);
            }
            if (ok + failed === cmd.count) resolve();
            else launch();
          },
        );
      }
    };
    if (cmd.count === 0) resolve();
    else launch();
  });
  return { op: 'opened', ok, failed, ms: now() - started, errors };
}

function chat(cmd: Extract<WorkerCommand, { op: 'chat' }>): Promise<WorkerReply> {
  chatK = cmd.k;
  chatAcks = cmd.acks;
  rtts = [];
  return new Promise((resolve) => {
    const timer = setTimeout(() => chatFinish?.(true), cmd.timeoutMs);
    chatFinish = (timedOut) => {
      chatFinish = undefined;
      clearTimeout(timer);
      resolve({ op: 'chat-done', delivered: chatDelivered, errors: chatErrors, rtts, timedOut });
    };
    if (pairSent.length === 0) return chatFinish(false);
    for (let pair = 0; pair < pairSent.length; pair++) {
      const a = pair * 2; // local index of the pair's first user (base is even)
      if (!clients[a] || !clients[a + 1]) continue; // a broken pair never finishes: shown as a loss
      pairSent[pair] = 1;
      sendChat(a, `a${now().toFixed(3)}`);
    }
  });
}

/** Handshake after handshake, `concurrency` at a time, each socket closed once it is open. */
async function churn(cmd: Extract<WorkerCommand, { op: 'connect' }>): Promise<WorkerReply> {
  const tokens = Array.from({ length: cmd.count }, (_, j) => signToken(SECRET, userId(cmd.from + j)));
  const times: number[] = [];
  const errors: string[] = [];
  let ok = 0;
  let failed = 0;
  let next = 0;
  let inFlight = 0;
  const started = now();
  await new Promise<void>((resolve) => {
    const finished = (): void => {
      inFlight--;
      if (next >= cmd.count && inFlight === 0) resolve();
      else launch();
    };
    const fail = (error: string): void => {
      failed++;
      if (errors.length < 5) errors.push(error);
    };
    const launch = (): void => {
      while (inFlight < cmd.concurrency && next < cmd.count) {
        const local = next++;
        const port = cmd.ports[(cmd.from + local) % cmd.ports.length];
        inFlight++;
        const t0 = now();
        if (cmd.proto === 'ws') {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/socket/all?token=${tokens[local]}`, {
            perMessageDeflate: false,
            skipUTF8Validation: true,
            handshakeTimeout: cmd.timeoutMs,
          });
          let opened = false;
          ws.on('open', () => {
            opened = true;
            times.push(now() - t0);
            ok++;
            ws.close(1000);
          });
          ws.on('error', (error) => {
            if (!opened) fail(error.message);
          });
          ws.on('close', finished);
        } else {
          const socket = io(`http://127.0.0.1:${port}`, {
            transports: ['websocket'],
            forceNew: true,
            reconnection: false,
            timeout: cmd.timeoutMs,
            auth: { token: tokens[local] },
            query: { ep: 'all' },
          });
          socket.once('connect', () => {
            times.push(now() - t0);
            ok++;
            socket.disconnect();
            finished();
          });
          socket.once('connect_error', (error) => {
            fail(error.message);
            socket.close();
            finished();
          });
        }
      }
    };
    if (cmd.count === 0) resolve();
    else launch();
  });
  return { op: 'connect-done', ok, failed, times, ms: now() - started, errors };
}

async function handle(cmd: WorkerCommand): Promise<WorkerReply> {
  switch (cmd.op) {
    case 'open':
      return openAll(cmd);
    case 'fanout-report': {
      let delivered = 0;
      const measured: number[] = [];
      counts.forEach((count, seq) => {
        if (seq < cmd.measureFrom) return;
        delivered += count;
        for (const latency of latencies[seq] ?? []) measured.push(Math.round(latency * 1000) / 1000);
      });
      return { op: 'fanout-report', delivered, duplicates, other, latencies: measured };
    }
    case 'chat':
      return chat(cmd);
    case 'connect':
      return churn(cmd);
    case 'status':
      return { op: 'status', open, dropped };
    case 'close':
      closing = true;
      clients.forEach(closeClient);
      clients = [];
      open = 0;
      return { op: 'closed' };
  }
}

process.on('message', (cmd: WorkerCommand) => {
  handle(cmd).then(reply, (error: unknown) => {
    console.error(`worker ${process.pid}: ${String(error)}`);
    process.exit(1);
  });
});
// The coordinator is gone: nothing else will stop this process.
process.on('disconnect', () => process.exit(0));
reply({ op: 'ready' });
