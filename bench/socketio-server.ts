/**
 * The usual alternative: Socket.IO 4, with `@socket.io/redis-adapter` when `REDIS_URL` is set.
 * The same rooms and payloads as this service: the JWT (HS256) is checked in a middleware, the
 * handshake query names the endpoint (`ep=all`, `ep=push&user=…`, `ep=chat&group=<a>_<b>`),
 * `POST /api/notify/:topic` emits `{topic, data}` to the room `chat_all_data`, and a chat message
 * goes to the other side of the pair as `{message, from, group, ts}`.
 *
 * Environment: PORT, JWT_SECRET, REDIS_URL (optional), PING_INTERVAL_MS.
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

if (process.env.REDIS_URL) {
  const pub = new Redis(process.env.REDIS_URL);
  io.adapter(createAdapter(pub, pub.duplicate()));
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
  if (data.group !== undefined) {
    socket.on('message', (frame: { message?: unknown }) => {
      if (typeof frame?.message !== 'string') return;
      socket
        .to(data.room)
        .emit('message', { message: frame.message, from: data.user, group: data.group, ts: Date.now() });
    });
  }
});

httpServer.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
