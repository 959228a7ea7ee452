/**
 * The floor's `/ws/chat/<a>_<b>`, in one of two shapes (`--chat-shape`):
 * - `contract` (default): what CONTRACT.md asks of a chat whose two members are present, done as
 *   cheaply as Node allows. The frame is parsed, `{"message","from","group","ts","id"}` goes to
 *   every socket of the chat (the sender's too) and `{"type":"ack","id"}` to the sender, whose
 *   two frames leave in one write (corked). Ids count per chat: in memory, or with Redis one Lua
 *   script takes the id and publishes. No presence check: in the benchmark both are always there.
 * - `relay`: the frame as it came, to the other side only (one write per message).
 */
import type { Duplex } from 'node:stream';
import type Redis from 'ioredis';
import type { WebSocket } from 'ws';
import type { ChatShape } from './servers';

export interface ChatMember {
  ws: WebSocket;
  /** The TCP socket under `ws`, to cork. */
  raw: Duplex;
  user: string;
}

const TEXT = { binary: false } as const;
const RELAY = 'floor:chat';
const CONTRACT = 'floor:chat-contract';
// KEYS[1] the chat's id counter; ARGV: channel, group, the frame without its closing `,"id":N}`.
const SEND_LUA = `local id = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], ARGV[2] .. '\\n' .. ARGV[3] .. ',"id":' .. id .. '}')
return id`;

type ScriptedRedis = Redis & { chatSend(key: string, channel: string, group: string, body: string): Promise<number> };

export class FloorChats {
  readonly channels = [RELAY, CONTRACT];
  private readonly chats = new Map<string, Set<ChatMember>>();
  private readonly ids = new Map<string, number>();
  private readonly redis?: ScriptedRedis;

  constructor(
    private readonly shape: ChatShape,
    redis?: Redis,
  ) {
    if (redis) {
      redis.defineCommand('chatSend', { numberOfKeys: 1, lua: SEND_LUA });
      this.redis = redis as ScriptedRedis;
    }
  }

  join(group: string, member: ChatMember): void {
    let members = this.chats.get(group);
    if (!members) this.chats.set(group, (members = new Set()));
    members.add(member);
    member.ws.on('message', (data: Buffer) => this.onFrame(group, member, data));
    member.ws.on('close', () => {
      members.delete(member);
      if (members.size === 0) this.chats.delete(group);
    });
  }

  /** A message on one of `channels`: `group\nuser\nframe` (relay) or `group\nframe` (contract). */
  fromRedis(channel: string, message: Buffer): void {
    const first = message.indexOf(10);
    const group = message.toString('utf8', 0, first);
    if (channel === CONTRACT) return this.toAll(group, message.subarray(first + 1));
    const second = message.indexOf(10, first + 1);
    this.relay(group, message.toString('utf8', first + 1, second), message.subarray(second + 1));
  }

  private onFrame(group: string, from: ChatMember, data: Buffer): void {
    if (this.shape === 'relay') {
      if (this.redis) void this.redis.publish(RELAY, Buffer.concat([Buffer.from(`${group}\n${from.user}\n`), data]));
      else this.relay(group, from.user, data);
      return;
    }
    const message = messageOf(data);
    if (message === undefined) {
      from.ws.send('{"type":"error","code":400,"msg":"message must be a string"}', TEXT);
      return;
    }
    const body = `{"message":${JSON.stringify(message)},"from":"${from.user}","group":"${group}","ts":${Date.now()}`;
    if (this.redis) {
      void this.redis
        .chatSend(`floor:chat-id:${group}`, CONTRACT, group, body)
        .then((id) => from.ws.send(`{"type":"ack","id":${id}}`, TEXT));
      return;
    }
    const id = (this.ids.get(group) ?? 0) + 1;
    this.ids.set(group, id);
    from.raw.cork();
    this.toAll(group, Buffer.from(`${body},"id":${id}}`));
    from.ws.send(`{"type":"ack","id":${id}}`, TEXT);
    from.raw.uncork();
  }

  private toAll(group: string, frame: Buffer): void {
    for (const member of this.chats.get(group) ?? []) member.ws.send(frame, TEXT);
  }

  private relay(group: string, from: string, frame: Buffer): void {
    for (const member of this.chats.get(group) ?? []) if (member.user !== from) member.ws.send(frame, TEXT);
  }
}

function messageOf(data: Buffer): string | undefined {
  try {
    const { message } = JSON.parse(data.toString('utf8')) as { message?: unknown };
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}
