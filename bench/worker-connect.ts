/**
 * The connect scenario at the client: handshakes only, each socket closed as soon as it is open,
 * so what is timed is the handshake (token check included) and nothing the socket does after it.
 */
import { io } from 'socket.io-client';
import { WebSocket } from 'ws';
import { now, signToken, userId, type WorkerCommand, type WorkerReply } from './common';
import { runBounded } from './bounded';
import { SECRET } from './worker-state';

/** Handshake after handshake, `concurrency` at a time, each socket closed once it is open. */
export async function churn(cmd: Extract<WorkerCommand, { op: 'connect' }>): Promise<WorkerReply> {
  const tokens = Array.from({ length: cmd.count }, (_, j) => signToken(SECRET, userId(cmd.from + j)));
  const times: number[] = [];
  const errors: string[] = [];
  let ok = 0;
  let failed = 0;
  const started = now();
  const fail = (error: string): void => {
    failed++;
    if (errors.length < 5) errors.push(error);
  };
  await runBounded(cmd.count, cmd.concurrency, (local, finished) => {
    const port = cmd.ports[(cmd.from + local) % cmd.ports.length];
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
  });
  return { op: 'connect-done', ok, failed, times, ms: now() - started, errors };
}
