/**
 * What a client worker keeps between commands (its share of the sockets, how many are open) and
 * its way back to the coordinator. The state is one object because the modules that open sockets,
 * handle their frames and answer commands all update it (an imported `let` cannot be assigned).
 */
import type { Socket } from 'socket.io-client';
import type { WebSocket } from 'ws';
import type { WorkerReply } from './common';

export const SECRET = process.env.BENCH_JWT_SECRET ?? '';

export type Client = { kind: 'ws'; ws: WebSocket } | { kind: 'sio'; socket: Socket };

export const socketState = {
  clients: [] as (Client | undefined)[],
  base: 0, // global index of clients[0]
  open: 0,
  dropped: 0,
  closing: false,
};

export function reply(message: WorkerReply): void {
  process.send?.(message);
}
