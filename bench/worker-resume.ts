/**
 * The resume scenario at the client: each socket on /socket/all remembers the id of the last frame
 * it received; once dropped and reconnected with `?since=<that id>`, every frame must carry the
 * next id, so a duplicate, a hole or a gap frame is counted on arrival, without keeping the frames.
 */
import { WebSocket } from 'ws';
import { now, signToken, userId, type WorkerCommand, type WorkerReply } from './common';
import { readNumber } from './worker-frames';
import { reply, SECRET, socketState, type Client } from './worker-state';

const ID_KEY = Buffer.from('"id":');
const GAP_PREFIX = Buffer.from('{"type":"gap"');

/** What a worker counts in one resume run, for its share of `count` sockets; all zero to start. */
class ResumeCounts {
  /** Per local socket: the id of the last frame received in order (0: none yet). */
  lastId: Float64Array;
  /** Per local socket: the id it has caught up at (its last id before the drop + missed). */
  target: Float64Array;
  tokens: string[] = [];
  replaying = false;
  firstGot = 0;
  delivered = 0;
  duplicates = 0;
  missing = 0;
  gaps = 0;
  unexpected = 0;
  caughtUp = 0;
  failed = 0;
  times: number[] = [];

  constructor(count: number) {
    this.lastId = new Float64Array(count);
    this.target = new Float64Array(count);
  }
}

export const resumeState = {
  ...new ResumeCounts(0),
  startAt: 0,
  /** Called whenever a socket is done (caught up, failed or closed early). */
  settle: (): void => undefined,
};

/** Sizes the state for a worker's share of sockets; called when they are opened. */
export function resetResume(count: number): void {
  Object.assign(resumeState, new ResumeCounts(count));
}

/** The id the layer stamped as a frame's last field (`"id":N}`), or NaN. */
function idOfFrame(buf: Buffer): number {
  const at = buf.lastIndexOf(ID_KEY);
  return at < 0 ? NaN : readNumber(buf, at + ID_KEY.length);
}

export function onResumeFrame(local: number, buf: Buffer): void {
  const state = resumeState;
  if (buf.compare(GAP_PREFIX, 0, GAP_PREFIX.length, 0, Math.min(buf.length, GAP_PREFIX.length)) === 0) {
    state.gaps++;
    return;
  }
  const id = idOfFrame(buf);
  if (!Number.isFinite(id)) state.unexpected++;
  else if (!state.replaying) onFirst(local, id);
  else onReplayed(local, id);
}

/** The first notify, before the drop: where each socket will resume from. */
function onFirst(local: number, id: number): void {
  const state = resumeState;
  if (state.lastId[local] !== 0) {
    state.unexpected++;
    return;
  }
  state.lastId[local] = id;
  if (++state.firstGot === socketState.open) reply({ op: 'got', seq: 0 });
}

function onReplayed(local: number, id: number): void {
  const state = resumeState;
  const expected = state.lastId[local] + 1;
  if (id < expected) {
    state.duplicates++;
    return;
  }
  // Past a hole the frame itself still arrived: only the ids skipped are missing.
  if (id > expected) state.missing += id - expected;
  state.delivered++;
  state.lastId[local] = id;
  // A hole may skip the target: reaching or passing it ends the socket's wait.
  if (expected <= state.target[local] && id >= state.target[local]) {
    state.caughtUp++;
    state.times.push(Math.round((now() - state.startAt) * 1000) / 1000);
    state.settle();
  }
}

/** Destroys every socket's connection (as a network drop would) and waits, bounded, for their close. */
export async function dropAll(cmd: Extract<WorkerCommand, { op: 'resume-drop' }>): Promise<WorkerReply> {
  socketState.closing = true;
  const clients = socketState.clients.flatMap((c) => (c?.kind === 'ws' ? [c.ws] : []));
  clients.forEach((ws) => ws.terminate());
  const deadline = Date.now() + cmd.timeoutMs;
  while (clients.some((ws) => ws.readyState !== WebSocket.CLOSED) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const closed = clients.filter((ws) => ws.readyState === WebSocket.CLOSED).length;
  socketState.clients = new Array<Client | undefined>(socketState.clients.length);
  socketState.open = 0;
  socketState.closing = false;
  // Signed now, outside the measured reconnect.
  const count = resumeState.lastId.length;
  resumeState.tokens = Array.from({ length: count }, (_, j) => signToken(SECRET, userId(socketState.base + j)));
  const withId = resumeState.lastId.filter((id) => id > 0).length;
  return { op: 'resume-dropped', closed, withId };
}

/** Every socket that had a first frame reconnects at once; resolves when all are caught up or done. */
export function resumeAll(cmd: Extract<WorkerCommand, { op: 'resume' }>): Promise<WorkerReply> {
  const state = resumeState;
  state.replaying = true;
  state.startAt = cmd.startAt;
  const errors: string[] = [];
  const locals: number[] = [];
  state.lastId.forEach((id, local) => {
    if (id > 0) locals.push(local);
    state.target[local] = id + cmd.missed;
  });
  return new Promise((resolve) => {
    let done = 0;
    const finish = (timedOut: boolean): void => {
      clearTimeout(timer);
      state.settle = () => undefined;
      const { delivered, duplicates, missing, gaps, unexpected, failed, caughtUp, times } = state;
      const silent = locals.filter(
        (local) => isOpen(local) && state.lastId[local] + cmd.missed === state.target[local],
      );
      const counts = { delivered, duplicates, missing, gaps, unexpected, failed, caughtUp, silent: silent.length };
      resolve({ op: 'resume-done', ...counts, times, timedOut, errors });
    };
    const timer = setTimeout(() => finish(true), cmd.timeoutMs);
    state.settle = () => {
      if (++done === locals.length) finish(false);
    };
    if (locals.length === 0) return finish(false);
    for (const local of locals) reconnect(cmd, local, errors);
  });
}

function isOpen(local: number): boolean {
  const client = socketState.clients[local];
  return client?.kind === 'ws' && client.ws.readyState === WebSocket.OPEN;
}

/** One socket back on /socket/all from its last id; a failure or an early close settles it as not caught up. */
function reconnect(cmd: Extract<WorkerCommand, { op: 'resume' }>, local: number, errors: string[]): void {
  const state = resumeState;
  const global = socketState.base + local;
  const port = cmd.ports[global % cmd.ports.length];
  const since = state.lastId[local].toFixed(0);
  const url = `ws://127.0.0.1:${port}/socket/all?since=${since}&token=${state.tokens[local]}`;
  const ws = new WebSocket(url, {
    perMessageDeflate: false,
    skipUTF8Validation: true,
    handshakeTimeout: cmd.timeoutMs,
  });
  socketState.clients[local] = { kind: 'ws', ws };
  ws.on('message', (data: Buffer) => onResumeFrame(local, data));
  ws.on('open', () => socketState.open++);
  ws.on('error', (error) => {
    if (errors.length < 5) errors.push(error.message);
  });
  ws.on('close', () => {
    if (socketState.closing || state.lastId[local] >= state.target[local]) return;
    state.failed++;
    state.settle();
  });
}
