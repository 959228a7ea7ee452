/**
 * The command line of the benchmark. Every size has a full value and a `--quick` one, and an
 * unknown option or scenario stops it before anything starts: a typo must not measure something else.
 */
import { join, resolve } from 'node:path';
import type { ChatShape, Mode, ServerKind } from './servers';

const REPO = resolve(__dirname, '..', '..');

export interface Options {
  scenarios: string[];
  servers: ServerKind[];
  modes: Mode[];
  repeats: number;
  out: string;
  quick: boolean;
  fanoutN: number[];
  fanoutK: number;
  warmup: number;
  payload: number;
  chatPairs: number;
  chatK: number;
  chatShape: ChatShape;
  idleN: number;
  idleSettle: number;
  idleWindow: number;
  /** The heartbeat of every server in `idle`: what an idle server does is keep its sockets alive. */
  idlePingMs: number;
  resumeN: number;
  /** Notifies posted while the sockets are away; up to the servers' HISTORY_SIZE (100) without a gap. */
  resumeMissed: number;
  connectM: number;
  connectC: number;
  openC: number;
  workers: number;
  maxMinutes: number;
  pingMs: number;
  oursDist: string;
  serverNodeArgs: string[];
}

const USAGE = `usage: node bench/dist/run.js [options]
  --scenarios fanout,chat,idle,connect,resume   --servers ours,floor,socketio   --modes single,redis
  --repeats 3   --out bench-results/<date>   --quick (small sizes, 1 repeat unless --repeats)
  --fanout-n 10000,5000  --fanout-k 20  --warmup 2  --payload 200
  --chat-pairs 1000  --chat-k 50  --chat-shape contract
  --idle-n 20000  --idle-settle 3  --idle-ping-ms 25000  --idle-window <2 heartbeats: 50>
  --connect-m 5000  --connect-c 100   --open-c 200   --workers 2
  --resume-n 5000  --resume-missed 50
  --max-minutes 45   --ping-ms 600000   --ours-dist dist   --server-node-args "--prof"`;

function chatShapeOf(value: string): ChatShape {
  if (value !== 'contract' && value !== 'relay') throw new Error('--chat-shape is contract or relay');
  return value;
}

export function parseOptions(argv: string[]): Options {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}\n${USAGE}`);
    if (arg === '--quick') args.set('quick', 'true');
    else if (i + 1 < argv.length) args.set(arg.slice(2), argv[++i]);
    else throw new Error(`${arg} needs a value`);
  }
  const known = new Set(USAGE.match(/--[a-z-]+/g)?.map((s) => s.slice(2)));
  for (const key of args.keys()) if (!known.has(key)) throw new Error(`unknown option --${key}\n${USAGE}`);
  const quick = args.has('quick');
  const num = (key: string, full: number, small: number): number => {
    const value = Number(args.get(key) ?? (quick ? small : full));
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${key} must be a number`);
    return value;
  };
  const list = (key: string, all: string): string[] =>
    (args.get(key) ?? all)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const scenarios = list('scenarios', 'fanout,chat,idle,connect,resume');
  for (const s of scenarios)
    if (!['fanout', 'chat', 'idle', 'connect', 'resume'].includes(s)) throw new Error(`unknown scenario ${s}`);
  const servers = list('servers', 'ours,floor,socketio') as ServerKind[];
  for (const s of servers) if (!['ours', 'floor', 'socketio'].includes(s)) throw new Error(`unknown server ${s}`);
  const modes = list('modes', 'single,redis') as Mode[];
  for (const m of modes) if (!['single', 'redis'].includes(m)) throw new Error(`unknown mode ${m}`);
  const idlePingMs = num('idle-ping-ms', 25000, 1000);
  const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\..*/, '');
  return {
    scenarios,
    servers,
    modes,
    repeats: Math.max(1, Math.floor(num('repeats', 3, 1))),
    out: resolve(args.get('out') ?? join('bench-results', stamp)),
    quick,
    fanoutN: list('fanout-n', quick ? '500,250' : '10000,5000').map(Number),
    fanoutK: num('fanout-k', 20, 5),
    warmup: num('warmup', 2, 1),
    payload: num('payload', 200, 200),
    chatPairs: num('chat-pairs', 1000, 100),
    chatK: num('chat-k', 50, 10),
    chatShape: chatShapeOf(args.get('chat-shape') ?? 'contract'),
    idleN: num('idle-n', 20000, 1000),
    idleSettle: num('idle-settle', 3, 1),
    // Two whole heartbeat intervals: a window of any length cuts a server's ping rounds unevenly.
    idleWindow: num('idle-window', (2 * idlePingMs) / 1000, (2 * idlePingMs) / 1000),
    idlePingMs,
    resumeN: num('resume-n', 5000, 500),
    resumeMissed: Math.max(1, Math.floor(num('resume-missed', 50, 10))),
    connectM: num('connect-m', 5000, 500),
    connectC: num('connect-c', 100, 50),
    openC: num('open-c', 200, 100),
    workers: Math.max(1, Math.floor(num('workers', 2, 2))),
    maxMinutes: num('max-minutes', 45, 15),
    pingMs: num('ping-ms', 600000, 600000),
    oursDist: resolve(REPO, args.get('ours-dist') ?? 'dist'),
    serverNodeArgs: (args.get('server-node-args') ?? '').split(' ').filter(Boolean),
  };
}
