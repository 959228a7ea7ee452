/**
 * The usual alternative: Socket.IO 4, with `@socket.io/redis-adapter` when `REDIS_URL` is set.
 * The same rooms and payloads as this service: the JWT (HS256) is checked in a middleware, the
 * handshake query names the endpoint (`ep=all`, `ep=push&user=…`, `ep=chat&group=<a>_<b>`),
 * `POST /api/notify/:topic` emits `{topic, data}` to the room `chat_all_data`. A chat message, with
 * `CHAT_SHAPE=contract` (the default), goes to the whole chat room, sender included, as
 * `{message, from, group, ts, id}`, and the sender's ack callback gets `{type: 'ack', id}`: what a
 * Socket.IO user writes for CONTRACT.md's chat. Ids count per chat, in memory or with Redis `INCR`.
 * With `CHAT_SHAPE=relay` it goes to the other side only, as `{message, from, group, ts}`.
 *
 * Environment: PORT, JWT_SECRET, REDIS_URL (optional), PING_INTERVAL_MS, CHAT_SHAPE.
 */
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import Redis from 'ioredis';
import { Server, type Socket } from 'socket.io';
import { claims, notifyHandler } from './notify-http';

const ping = Number(process.env.PING_INTERVAL_MS ?? 25000);

interface SocketData {
  user: string;
  room: string;
  group?: string;
}

const httpServer = createServer(notifyHandler((topic, data) => io.to('chat_all_data').emit(topic, data)));
const io = new Server<Record<string, never>, Record<string, never>, Record<string, never>, SocketData>(httpServer, {
  transports: ['websocket'],
  serveClient: false,
  perMessageDeflate: false,
  pingInterval: ping,
  pingTimeout: ping,
});

const redis = process.env.REDIS_URL ? new Redis(process.env.REDIS_URL) : undefined;
if (redis) io.adapter(createAdapter(redis, redis.duplicate()));
const relayOnly = process.env.CHAT_SHAPE === 'relay';
const chatIds = new Map<string, number>();

async function nextChatId(group: string): Promise<number> {
  if (redis) return redis.incr(`sio:chat-id:${group}`);
  const id = (chatIds.get(group) ?? 0) + 1;
  chatIds.set(group, id);
  return id;
}

type Ack = (frame: { type: 'ack'; id: number }) => void;

function onChatMessage(socket: Socket, data: SocketData & { group: string }, message: string, ack?: Ack): void {
  const ts = Date.now();
  if (relayOnly) {
    socket.to(data.room).emit('message', { message, from: data.user, group: data.group, ts });
    return;
  }
  void nextChatId(data.group).then((id) => {
    io.to(data.room).emit('message', { message, from: data.user, group: data.group, ts, id });
    if (typeof ack === 'function') ack({ type: 'ack', id });
  });
}

io.use((socket, next) => {
  const who = claims((socket.handshake.auth as { token?: unknown }).token);
  if (!who) return next(new Error('401 invalid token'));
  const { ep, user, group } = socket.handshake.query;
  if (ep === 'all') {
    socket.data = { user: who.user, room: 'chat_all_data' };
  } else if (ep === 'push' && typeof user === 'string') {
    if (user !== who.user) return next(new Error('403 not your push channel'));
    socket.data = { user: who.user, room: `push.${user}` };
  } else if (ep === 'chat' && typeof group === 'string') {
    const members = /^([A-Za-z0-9-]+)_([A-Za-z0-9-]+)$/.exec(group);
    if (!members) return next(new Error('400 malformed chat'));
    if (who.user !== members[1] && who.user !== members[2]) return next(new Error('403 not your chat'));
    socket.data = { user: who.user, room: `chat.${group}`, group };
  } else {
    return next(new Error('404 no such endpoint'));
  }
  next();
});

io.on('connection', (socket: Socket) => {
  const data = socket.data as SocketData;
  void socket.join(data.room);
  const group = data.group;
  if (group !== undefined) {
    socket.on('message', (frame: { message?: unknown }, ack?: Ack) => {
      if (typeof frame?.message === 'string') onChatMessage(socket, { ...data, group }, frame.message, ack);
    });
  }
});

httpServer.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
