/**
 * What Delivery v2's history costs in memory: one-to-one chats filled to a full history, in a
 * private `redis-server` (Redis `used_memory`, and `MEMORY USAGE` of one chat's keys) and in the
 * memory layer (this process's heap and buffers after a full GC). Each chat first gets one
 * message, then the rest: the first step's growth is the chat's state plus one message, the
 * second's is messages only, so the two are told apart. See bench/README.md, *History memory*.
 *
 *   npm run build && npx tsc -p bench/tsconfig.json
 *   node --expose-gc bench/dist/history-memory.js [--groups 10000] [--other-groups 1000] [--size 100]
 */
import { devNull } from 'node:os';
import { Redis } from 'ioredis';
import { chatOf, loadLayer, sendAll, type HistoryLimits, type Layer, type Variant } from './history-load';
import { killAllChildren, startRedis, stopChild } from './servers';

interface Figures {
  perChatState: number;
  perMessage: number;
  /** Bytes for `groups` chats of `size` messages, measured (not extrapolated) for this variant. */
  total: number;
}

const MiB = 2 ** 20;
const gc = (globalThis as { gc?: () => void }).gc;

function figures(v: Variant, size: number, m0: number, m1: number, m2: number): Figures {
  const perMessage = (m2 - m1) / (v.groups * (size - 1));
  return { perChatState: (m1 - m0) / v.groups - perMessage, perMessage, total: m2 - m0 };
}

async function usedMemory(admin: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await admin.info('memory'))?.[1] ?? NaN);
}

/** `MEMORY USAGE` (every element counted: SAMPLES 0) of the first chat's keys, and its last frame's size. */
async function chatKeys(admin: Redis): Promise<string> {
  const base = `hm:group:${chatOf(0).group}`;
  const usage = async (kind: string): Promise<string> =>
    `${kind} ${String(await admin.call('MEMORY', 'USAGE', `${base}:${kind}`, 'SAMPLES', '0'))}`;
  const frame = await admin.lindexBuffer(`${base}:history`, -1);
  const parts = await Promise.all(['state', 'history', 'idempotency'].map(usage));
  return `${parts.join(', ')}; frame ${frame?.length ?? 0} B`;
}

async function measureRedis(
  layer: Layer,
  admin: Redis,
  v: Variant,
  size: number,
  deadline: number,
): Promise<Figures & { keys: string }> {
  await admin.flushall();
  const m0 = await usedMemory(admin);
  await sendAll(layer, v, 0, 1, deadline);
  const m1 = await usedMemory(admin);
  await sendAll(layer, v, 1, size, deadline);
  const m2 = await usedMemory(admin);
  return { ...figures(v, size, m0, m1, m2), keys: await chatKeys(admin) };
}

/**
 * The idempotency hash at its largest: the send script forgets the keys of trimmed messages only
 * once the hash holds more than 2 × size of them, so a chat that keeps sending with cids carries
 * up to 2 × size keys (past Redis' hash-max-listpack-entries, a hash table instead of a listpack).
 */
async function cidPeak(layer: Layer, admin: Redis, v: Variant, size: number, deadline: number): Promise<string> {
  await admin.flushall();
  const m0 = await usedMemory(admin);
  await sendAll(layer, v, 0, 2 * size, deadline);
  const perChat = ((await usedMemory(admin)) - m0) / v.groups;
  const key = `hm:group:${chatOf(0).group}:idempotency`;
  const usage = String(await admin.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
  const encoding = String(await admin.call('OBJECT', 'ENCODING', key));
  const keys = await admin.hlen(key);
  return `Redis, ${v.groups.toLocaleString('en-US')} chats × ${2 * size} messages with a cid (history ${size}, ${keys} idempotency keys): ${perChat.toFixed(0)} B per chat; one chat's idempotency hash ${usage} B (${encoding})`;
}

/** Heap and array buffers (the frames are Buffers) after full GCs. */
function heapBytes(): number {
  gc?.();
  gc?.();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

async function measureMemory(limits: HistoryLimits, v: Variant, deadline: number): Promise<Figures> {
  const layer = await loadLayer('memory', limits);
  try {
    const m0 = heapBytes();
    await sendAll(layer, v, 0, 1, deadline);
    const m1 = heapBytes();
    await sendAll(layer, v, 1, limits.size, deadline);
    const m2 = heapBytes();
    return figures(v, limits.size, m0, m1, m2);
  } finally {
    layer.onApplicationShutdown();
  }
}

function row(layerName: string, v: Variant, size: number, f: Figures, extra = ''): string {
  const cells = [
    layerName,
    v.name,
    `${v.groups.toLocaleString('en-US')} × ${size}`,
    f.perChatState.toFixed(0),
    f.perMessage.toFixed(0),
    (f.total / MiB).toFixed(1),
    ((10_000 * (f.perChatState + size * f.perMessage)) / MiB).toFixed(0),
    extra,
  ];
  return `| ${cells.join(' | ')} |`;
}

function argValue(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at < 0 ? fallback : Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

function variantsOf(groups: number, otherGroups: number): Variant[] {
  const base = { cid: false, absent: false };
  return [
    { ...base, name: '~100-char messages', groups, messageChars: 100 },
    { ...base, name: '~1,000-char messages', groups: otherGroups, messageChars: 1000 },
    { ...base, name: '~100-char, each with a cid', groups: otherGroups, messageChars: 100, cid: true },
    { ...base, name: '~100-char, peer absent (push inbox too)', groups: otherGroups, messageChars: 100, absent: true },
  ];
}

async function main(): Promise<void> {
  if (!gc) throw new Error('run with node --expose-gc');
  const limits = { size: argValue('size', 100), ttlMs: 86_400_000 };
  if (limits.size < 2) throw new Error('--size must be at least 2');
  const deadline = Date.now() + argValue('max-minutes', 20) * 60_000;
  const variants = variantsOf(argValue('groups', 10_000), argValue('other-groups', 1_000));
  const lines = [
    '| layer | chats | chats × messages | B per chat (state) | B per kept message | MiB measured | MiB for 10,000 × size | one chat: MEMORY USAGE, B |',
    '|---|---|---|---:|---:|---:|---:|---|',
  ];
  const redis = await startRedis(devNull);
  const admin = new Redis(redis.port, '127.0.0.1', { lazyConnect: true });
  let layer: Layer | undefined;
  try {
    await admin.connect();
    layer = await loadLayer('redis', limits, `redis://127.0.0.1:${redis.port}`);
    // The send script is cached by the first send: keep it out of the baseline.
    await sendAll(layer, { ...variants[0], groups: 1 }, 0, 1, deadline);
    for (const v of variants) {
      const r = await measureRedis(layer, admin, v, limits.size, deadline);
      lines.push(row('Redis', v, limits.size, r, r.keys));
      console.error(lines[lines.length - 1]);
    }
    const peak = await cidPeak(layer, admin, variants[2], limits.size, deadline);
    for (const v of variants) {
      lines.push(row('memory', v, limits.size, await measureMemory(limits, v, deadline)));
      console.error(lines[lines.length - 1]);
    }
    lines.push('', peak);
  } finally {
    await Promise.resolve(layer?.onApplicationShutdown()).catch(() => undefined);
    admin.disconnect();
    await stopChild(redis.child);
  }
  console.log(lines.join('\n'));
}

process.on('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`history-memory: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    killAllChildren();
    process.exit(1);
  },
);
