/**
 * Opening a worker's share of the sockets, `concurrency` handshakes at a time. Each socket's
 * frame handlers are attached before its handshake, so nothing sent right after `open` is missed,
 * and a socket that closes later is counted as dropped rather than silently forgotten.
 */
import { io } from 'socket.io-client';
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
import { runBounded } from './bounded';
import { onChat, onChatFrame, chatState } from './worker-chat';
import { onFanout, onFanoutFrame, fanoutState } from './worker-fanout';
import { onResumeFrame, resetResume } from './worker-resume';
import { SECRET, socketState, type Client } from './worker-state';

function endpointOf(ep: Endpoint | 'mixed', global: number): Endpoint {
  if (ep !== 'mixed') return ep;
  return global % 2 === 0 ? 'all' : 'push';
}

function wsPath(ep: Endpoint, global: number): string {
  if (ep === 'all' || ep === 'resume') return '/socket/all';
  if (ep === 'push') return `/push/${userId(global)}`;
  return `/ws/chat/${chatGroup(global >> 1)}`;
}

function sioQuery(ep: Endpoint, global: number): Record<string, string> {
  if (ep === 'all' || ep === 'resume') return { ep: 'all' };
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
  const local = global - socketState.base;
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
    else if (ep === 'resume') ws.on('message', (data: Buffer) => onResumeFrame(local, data));
    else if (ep === 'chat') ws.on('message', (data: Buffer) => onChatFrame(local, data));
    else ws.on('message', () => fanoutState.other++);
    ws.on('open', () => settle(true));
    ws.on('error', (error) => settle(false, error.message));
    ws.on('close', () => {
      if (!settled) settle(false, 'closed before open');
      else if (!socketState.closing && socketState.clients[local] !== undefined) {
        socketState.clients[local] = undefined;
        socketState.open--;
        socketState.dropped++;
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
    if (!socketState.closing && settled && socketState.clients[local] !== undefined) {
      socketState.clients[local] = undefined;
      socketState.open--;
      socketState.dropped++;
    }
  });
  return { kind: 'sio', socket };
}

export function closeClient(client: Client | undefined): void {
  if (!client) return;
  if (client.kind === 'ws') client.ws.terminate();
  else client.socket.disconnect();
}

export async function openAll(cmd: Extract<WorkerCommand, { op: 'open' }>): Promise<WorkerReply> {
  const tokens = Array.from({ length: cmd.count }, (_, j) => signToken(SECRET, userId(cmd.from + j)));
  socketState.clients = new Array<Client | undefined>(cmd.count);
  socketState.base = cmd.from;
  fanoutState.lastSeq = new Int32Array(cmd.count).fill(-1);
  chatState.pairSent = new Int32Array(cmd.count >> 1);
  chatState.pairGot = new Int32Array(cmd.count >> 1);
  resetResume(cmd.count);
  const errors: string[] = [];
  let ok = 0;
  let failed = 0;
  const started = now();
  await runBounded(cmd.count, cmd.concurrency, (local, done) => {
    const global = cmd.from + local;
    const port = cmd.ports[global % cmd.ports.length];
    socketState.clients[local] = openOne(
      cmd.proto,
      port,
      endpointOf(cmd.ep, global),
      global,
      tokens[local],
      cmd.timeoutMs,
      (opened, error) => {
        if (opened) {
          ok++;
          socketState.open++;
        } else {
          failed++;
          socketState.clients[local] = undefined;
          if (errors.length < 5 && error) errors.push(error);
        }
        done();
      },
    );
  });
  return { op: 'opened', ok, failed, ms: now() - started, errors };
}
