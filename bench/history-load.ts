/**
 * What `history-memory.ts` sends: one-to-one chat frames, as `ChatService` builds them, into
 * `chat.<a>_<b>` groups of a channel layer loaded from the service's build (`dist/`), so that what
 * is measured is what the service keeps, byte for byte.
 */
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { runBounded } from './bounded';
import { userId } from './common';

const REPO = resolve(__dirname, '..', '..');

/** The part of `ChannelLayer` (src/layer/channel-layer.ts) this script uses. */
export interface Layer {
  send(group: string, frame: string, options?: SendOptions): Promise<number>;
  onModuleInit?(): Promise<void>;
  onApplicationShutdown(): unknown;
}

interface SendOptions {
  idempotencyKey?: string;
  unlessAbsent?: { userId: string; forwardTo: string };
}

export interface HistoryLimits {
  size: number;
  ttlMs: number;
}

/** A chat in the memory measurement: how large its messages are and how they are sent. */
export interface Variant {
  name: string;
  groups: number;
  messageChars: number;
  /** Each message carries a `cid` (a UUID, as a client would make): the idempotency hash. */
  cid: boolean;
  /** The other side is absent: every message also goes to their push inbox (`unlessAbsent`). */
  absent: boolean;
}

/** The memory layer or the Redis layer, from `dist/` (run `npm run build` first). */
export async function loadLayer(kind: 'memory' | 'redis', limits: HistoryLimits, url?: string): Promise<Layer> {
  if (kind === 'memory') {
    const file = join(REPO, 'dist', 'layer', 'in-memory-channel-layer.js');
    const { InMemoryChannelLayer } = (await import(file)) as { InMemoryChannelLayer: new (l: HistoryLimits) => Layer };
    return new InMemoryChannelLayer(limits);
  }
  const file = join(REPO, 'dist', 'layer', 'redis', 'redis-channel-layer.js');
  type Options = { url: string; prefix: string; history: HistoryLimits };
  const { RedisChannelLayer } = (await import(file)) as { RedisChannelLayer: new (o: Options) => Layer };
  const layer = new RedisChannelLayer({ url: url ?? '', prefix: 'hm:', history: limits });
  await layer.onModuleInit?.();
  return layer;
}

/** The text of a chat message of `chars` characters (the content does not matter to either layer). */
function messageText(chars: number): string {
  const words = 'see you at the station at ten, I will bring the tickets and the map ';
  return words.repeat(Math.ceil(chars / words.length)).slice(0, chars);
}

/** `ChatService`'s frame (`chatMessageFrame`), without the id the layer stamps. */
function chatFrame(message: string, from: string, chat: string): string {
  return `{"message":${JSON.stringify(message)},"from":"${from}","group":"${chat}","ts":${Date.now()}}`;
}

/**
 * A cid as the server holds it: a flat string out of `JSON.parse` of the client's frame.
 * (`randomUUID()` itself returns a tree of 2-character pieces, ~600 B more on the heap as a key.)
 */
function clientId(): string {
  return JSON.parse(`"${randomUUID()}"`) as string;
}

export function chatOf(index: number): { a: string; b: string; group: string } {
  const a = userId(2 * index);
  const b = userId(2 * index + 1);
  return { a, b, group: `chat.${a}_${b}` };
}

/**
 * Sends messages `from` to `to` (exclusive) of every chat of `v`, alternating a and b, with up to
 * `inFlight` sends waiting at once. Stops sending (and rejects) past `deadline`.
 */
export async function sendAll(layer: Layer, v: Variant, from: number, to: number, deadline: number): Promise<void> {
  const text = messageText(v.messageChars);
  const perChat = to - from;
  let failure: Error | undefined;
  await runBounded(v.groups * perChat, 256, (step, done) => {
    if (failure !== undefined || Date.now() > deadline) {
      failure ??= new Error('history-memory: time limit reached while sending');
      return done();
    }
    const { a, b, group } = chatOf(Math.floor(step / perChat));
    const [sender, other] = (from + (step % perChat)) % 2 === 0 ? [a, b] : [b, a];
    const options: SendOptions = {};
    if (v.cid) options.idempotencyKey = `${sender}:${clientId()}`;
    if (v.absent) options.unlessAbsent = { userId: other, forwardTo: `push.${other}` };
    layer.send(group, chatFrame(text, sender, group.slice(5)), options).then(done, (error: unknown) => {
      failure ??= error instanceof Error ? error : new Error(`send failed: ${JSON.stringify(error)}`);
      done();
    });
  });
  if (failure !== undefined) throw failure;
}
