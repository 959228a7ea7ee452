/**
 * The floor: a bare `ws` server doing only what the benchmark's scenarios need, with no
 * framework. The same JWT check at the handshake (HS256), `/socket/all` with one shared frame
 * written to every socket on `POST /api/notify/:topic`, `/push/<user>` held open, and
 * `/ws/chat/<a>_<b>` (see `floor-chat.ts`). With `REDIS_URL` every notify and chat frame goes
 * through Redis, and each instance delivers what it receives to its own sockets. Every socket gets
 * the heartbeat of `ws`'s README: a protocol ping every PING_INTERVAL_MS, dropped when the last
 * one went unanswered.
 *
 * Environment: PORT, JWT_SECRET, REDIS_URL (optional), PING_INTERVAL_MS, CHAT_SHAPE (`contract`
 * or `relay`).
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import Redis from 'ioredis';
import { WebSocketServer, type WebSocket } from 'ws';
import { FloorChats } from './floor-chat';
import { claims, notifyHandler } from './notify-http';

const all = new Set<WebSocket>();
const pub = process.env.REDIS_URL ? new Redis(process.env.REDIS_URL) : undefined;
const sub = pub?.duplicate();
const chats = new FloorChats(process.env.CHAT_SHAPE === 'relay' ? 'relay' : 'contract', pub);

function refuse(socket: Duplex, status: number): void {
  socket.end(`HTTP/1.1 ${status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function broadcast(frame: Buffer): void {
  for (const ws of all) ws.send(frame, { binary: false });
}

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 65536 });
const alive = new WeakSet<WebSocket>();

function markAlive(this: WebSocket): void {
  alive.add(this);
}

setInterval(
  () => {
    for (const ws of wss.clients) {
      if (!alive.delete(ws)) ws.terminate();
      else ws.ping();
    }
  },
  Number(process.env.PING_INTERVAL_MS ?? 25000),
).unref();

function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const who = claims(url.searchParams.get('token'));
  if (!who) return refuse(socket, 401);
  const path = url.pathname;
  const chat = /^\/ws\/chat\/([A-Za-z0-9-]+)_([A-Za-z0-9-]+)$/.exec(path);
  const push = /^\/push\/([A-Za-z0-9_-]+)$/.exec(path);
  if (chat && who.user !== chat[1] && who.user !== chat[2]) return refuse(socket, 403);
  if (push && who.user !== push[1]) return refuse(socket, 403);
  if (!chat && !push && path !== '/socket/all') return refuse(socket, 404);
  wss.handleUpgrade(req, socket, head, (ws) => {
    alive.add(ws);
    ws.on('pong', markAlive);
    if (chat) {
      chats.join(`${chat[1]}_${chat[2]}`, { ws, raw: socket, user: who.user });
    } else if (!push) {
      all.add(ws);
      ws.on('close', () => all.delete(ws));
    }
  });
}

if (sub) {
  void sub.subscribe('floor:all', ...chats.channels);
  sub.on('messageBuffer', (channel: Buffer, message: Buffer) => {
    if (channel.toString() === 'floor:all') broadcast(message);
    else chats.fromRedis(channel.toString(), message);
  });
}

const server = createServer(
  notifyHandler((topic, data) => {
    const frame = Buffer.from(`{"type":"${topic}","data":${JSON.stringify(data)}}`);
    if (pub) void pub.publish('floor:all', frame);
    else broadcast(frame);
  }),
);
server.on('upgrade', onUpgrade);
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
