/**
 * The benchmark of issue 4: starts each server itself on 127.0.0.1, drives it from forked client
 * workers (never inside the server's process), runs the servers one after another in alternating
 * order with repeats, stops everything it started, and writes results.json, results.md and
 * latency.svg to --out. See bench/README.md.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import {
  cpuSeconds,
  now,
  openFileLimit,
  percentile,
  rssKiB,
  signToken,
  sleep,
  sortNumbers,
  type Endpoint,
  type Protocol,
  type WorkerCommand,
  type WorkerReply,
} from './common';
import {
  CURVE_PERCENTILES,
  fmt,
  latencySvg,
  markdownTable,
  summarise,
  targetLines,
  targets,
  type CurvePoint,
  type Panel,
  type RunRecord,
  type ScenarioDef,
  type Summary,
} from './report';
import {
  killAllChildren,
  startVariant,
  stopChild,
  track,
  type ChatShape,
  type Mode,
  type Running,
  type ServerKind,
  type Variant,
} from './servers';

const REPO = resolve(__dirname, '..', '..');

// ---------------------------------------------------------------- options

interface Options {
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
  --scenarios fanout,chat,idle,connect   --servers ours,floor,socketio   --modes single,redis
  --repeats 3   --out bench-results/<date>   --quick (small sizes, 1 repeat unless --repeats)
  --fanout-n 10000,5000  --fanout-k 20  --warmup 2  --payload 200
  --chat-pairs 1000  --chat-k 50  --chat-shape contract   --idle-n 20000  --idle-settle 3  --idle-window 10
  --connect-m 5000  --connect-c 100   --open-c 200   --workers 2
  --max-minutes 45   --ping-ms 600000   --ours-dist dist   --server-node-args "--prof"`;

function chatShapeOf(value: string): ChatShape {
  if (value !== 'contract' && value !== 'relay') throw new Error('--chat-shape is contract or relay');
  return value;
}

function parseOptions(argv: string[]): Options {
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
  const scenarios = list('scenarios', 'fanout,chat,idle,connect');
  for (const s of scenarios)
    if (!['fanout', 'chat', 'idle', 'connect'].includes(s)) throw new Error(`unknown scenario ${s}`);
  const servers = list('servers', 'ours,floor,socketio') as ServerKind[];
  for (const s of servers) if (!['ours', 'floor', 'socketio'].includes(s)) throw new Error(`unknown server ${s}`);
  const modes = list('modes', 'single,redis') as Mode[];
  for (const m of modes) if (!['single', 'redis'].includes(m)) throw new Error(`unknown mode ${m}`);
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
    idleWindow: num('idle-window', 10, 2),
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

// ---------------------------------------------------------------- workers

const REPLY_OF = {
  open: 'opened',
  'fanout-report': 'fanout-report',
  chat: 'chat-done',
  connect: 'connect-done',
  status: 'status',
  close: 'closed',
} as const satisfies Record<WorkerCommand['op'], WorkerReply['op']>;

class Worker {
  private readonly waiting = new Map<string, { resolve: (m: WorkerReply) => void; reject: (e: Error) => void }>();
  onGot: (seq: number) => void = () => undefined;

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: WorkerReply) => {
      if (message.op === 'got') return this.onGot(message.seq);
      const waiter = this.waiting.get(message.op);
      this.waiting.delete(message.op);
      waiter?.resolve(message);
    });
    child.once('exit', (code, signal) => {
      for (const waiter of this.waiting.values()) waiter.reject(new Error(`client worker exited (${signal ?? code})`));
      this.waiting.clear();
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  call<C extends WorkerCommand>(
    cmd: C,
    timeoutMs: number,
  ): Promise<Extract<WorkerReply, { op: (typeof REPLY_OF)[C['op']] }>> {
    const op = REPLY_OF[cmd.op];
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(op);
        reject(new Error(`client worker: no ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(op, {
        resolve: (m) => {
          clearTimeout(timer);
          resolvePromise(m as Extract<WorkerReply, { op: (typeof REPLY_OF)[C['op']] }>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send(cmd);
    });
  }
}

async function startWorkers(count: number, secret: string): Promise<Worker[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const child = track(
        fork(join(__dirname, 'worker.js'), [], {
          env: { ...process.env, BENCH_JWT_SECRET: secret },
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      );
      await new Promise<void>((resolvePromise, reject) => {
        const timer = setTimeout(() => reject(new Error('client worker did not start')), 15_000);
        child.once('message', () => {
          clearTimeout(timer);
          resolvePromise();
        });
        child.once('exit', () => reject(new Error('client worker exited during start-up')));
      });
      return new Worker(child);
    }),
  );
}

/** Splits `n` global indexes between workers in even-sized, even-aligned ranges (chat pairs stay together). */
function split(n: number, workers: number): { from: number; count: number }[] {
  const per = Math.floor(n / workers / 2) * 2;
  return Array.from({ length: workers }, (_, i) => ({ from: i * per, count: i === workers - 1 ? n - per * i : per }));
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
const cpuOf = (pids: number[]): number => sum(pids.map(cpuSeconds));

// ---------------------------------------------------------------- scenarios

interface Context {
  options: Options;
  secret: string;
  workers: Worker[];
  running: Running;
  proto: Protocol;
}

interface Outcome {
  metrics: Record<string, number>;
  delivered: number;
  expected: number;
  notes: string[];
  samples?: number[];
}

async function openPhase(
  ctx: Context,
  ep: Endpoint | 'mixed',
  n: number,
): Promise<{ ok: number; failed: number; ms: number; errors: string[] }> {
  const parts = split(n, ctx.workers.length);
  const timeoutMs = 30_000 + n * 5;
  const replies = await Promise.all(
    ctx.workers.map((w, i) =>
      w.call(
        {
          op: 'open',
          proto: ctx.proto,
          ports: ctx.running.ports,
          ep,
          from: parts[i].from,
          count: parts[i].count,
          concurrency: Math.max(1, Math.ceil(ctx.options.openC / ctx.workers.length)),
          timeoutMs: 20_000,
        },
        timeoutMs,
      ),
    ),
  );
  return {
    ok: sum(replies.map((r) => r.ok)),
    failed: sum(replies.map((r) => r.failed)),
    ms: Math.max(...replies.map((r) => r.ms)),
    errors: replies.flatMap((r) => r.errors),
  };
}

function post(port: number, path: string, body: string, token: string, agent: Agent): Promise<number> {
  return new Promise((resolvePromise) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        timeout: 30_000,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        resolvePromise(res.statusCode ?? 0);
      },
    );
    req.on('error', () => resolvePromise(0));
    req.on('timeout', () => req.destroy());
    req.end(body);
  });
}

async function fanout(ctx: Context, n: number): Promise<Outcome> {
  const { options } = ctx;
  const notes: string[] = [];
  const opened = await openPhase(ctx, 'all', n);
  if (opened.failed) notes.push(`${opened.failed} of ${n} sockets failed to open: ${opened.errors.join('; ')}`);
  const token = signToken(ctx.secret, 'bench-admin', true);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const pad = 'x'.repeat(Math.max(0, options.payload - 45));
  const total = options.warmup + options.fanoutK;
  const notifyTimeoutMs = 5_000 + n;
  let pending: { seq: number; remaining: Set<number>; done: () => void } | undefined;
  ctx.workers.forEach((w, i) => {
    w.onGot = (seq) => {
      if (!pending || pending.seq !== seq) return;
      pending.remaining.delete(i);
      if (pending.remaining.size === 0) pending.done();
    };
  });
  const withSockets = new Set(
    split(n, ctx.workers.length)
      .map((part, i) => (part.count > 0 ? i : -1))
      .filter((i) => i >= 0),
  );
  let cpu0 = 0;
  let client0 = 0;
  let t0 = 0;
  let timeouts = 0;
  let refused = 0;
  for (let seq = 0; seq < total; seq++) {
    if (seq === options.warmup) {
      cpu0 = cpuOf(ctx.running.pids);
      client0 = cpuOf(ctx.workers.map((w) => w.pid));
      t0 = now();
    }
    let timer: NodeJS.Timeout | undefined;
    const reached = new Promise<boolean>((resolvePromise) => {
      pending = { seq, remaining: new Set(withSockets), done: () => resolvePromise(true) };
      timer = setTimeout(() => resolvePromise(false), notifyTimeoutMs);
    });
    const sentAt = now();
    const body = `{"data":{"bs":${seq},"bt":${sentAt.toFixed(3)},"pad":"${pad}"}}`;
    const status = await post(ctx.running.ports[0], '/api/notify/all_patient_page_data', body, token, agent);
    if (status !== 202) {
      refused++;
      if (refused === 1) notes.push(`notify answered ${status}`);
      pending = undefined;
      clearTimeout(timer);
      continue;
    }
    if (!(await reached)) timeouts++;
    clearTimeout(timer);
  }
  const t1 = now();
  const cpu1 = cpuOf(ctx.running.pids);
  const client1 = cpuOf(ctx.workers.map((w) => w.pid));
  pending = undefined;
  agent.destroy();
  if (timeouts) notes.push(`${timeouts} notifies did not reach every socket within ${notifyTimeoutMs} ms`);
  if (refused) notes.push(`${refused} notifies refused`);
  const reports = await Promise.all(
    ctx.workers.map((w) => w.call({ op: 'fanout-report', measureFrom: options.warmup }, 60_000)),
  );
  const delivered = sum(reports.map((r) => r.delivered));
  const duplicates = sum(reports.map((r) => r.duplicates));
  if (duplicates) notes.push(`${duplicates} duplicate or out-of-order deliveries`);
  const samples = reports.flatMap((r) => r.latencies);
  const sorted = sortNumbers(samples);
  const seconds = (t1 - t0) / 1000;
  return {
    metrics: {
      deliveries_per_s: delivered / seconds,
      p50_ms: percentile(sorted, 50),
      p99_ms: percentile(sorted, 99),
      max_ms: percentile(sorted, 100),
      cpu_us_per_delivery: ((cpu1 - cpu0) / delivered) * 1e6,
      connect_s: opened.ms / 1000,
      client_cpu_pct: ((client1 - client0) / seconds) * 100,
      server_cpu_pct: ((cpu1 - cpu0) / seconds) * 100,
    },
    delivered,
    expected: n * options.fanoutK,
    notes,
    samples,
  };
}

async function chat(ctx: Context): Promise<Outcome> {
  const { options } = ctx;
  const notes: string[] = [];
  const n = options.chatPairs * 2;
  const opened = await openPhase(ctx, 'chat', n);
  if (opened.failed) notes.push(`${opened.failed} of ${n} sockets failed to open: ${opened.errors.join('; ')}`);
  const timeoutMs = 60_000 + options.chatPairs * options.chatK;
  const cpu0 = cpuOf(ctx.running.pids);
  const client0 = cpuOf(ctx.workers.map((w) => w.pid));
  const t0 = now();
  const replies = await Promise.all(
    ctx.workers.map((w) =>
      w.call({ op: 'chat', k: options.chatK, timeoutMs, acks: options.chatShape === 'contract' }, timeoutMs + 10_000),
    ),
  );
  const t1 = now();
  const cpu1 = cpuOf(ctx.running.pids);
  const client1 = cpuOf(ctx.workers.map((w) => w.pid));
  const delivered = sum(replies.map((r) => r.delivered));
  const errors = sum(replies.map((r) => r.errors));
  if (replies.some((r) => r.timedOut)) notes.push(`some pairs did not finish within ${timeoutMs} ms`);
  if (errors) notes.push(`${errors} error frames`);
  const samples = replies.flatMap((r) => r.rtts);
  const sorted = sortNumbers(samples);
  const seconds = (t1 - t0) / 1000;
  return {
    metrics: {
      msgs_per_s: delivered / seconds,
      rtt_p50_ms: percentile(sorted, 50),
      rtt_p99_ms: percentile(sorted, 99),
      cpu_us_per_msg: ((cpu1 - cpu0) / delivered) * 1e6,
      client_cpu_pct: ((client1 - client0) / seconds) * 100,
      server_cpu_pct: ((cpu1 - cpu0) / seconds) * 100,
    },
    delivered,
    expected: options.chatPairs * options.chatK,
    notes,
    samples,
  };
}

async function idle(ctx: Context, n: number): Promise<Outcome> {
  const { options, running } = ctx;
  const notes: string[] = [];
  await sleep(1000);
  const rss0 = sum(running.pids.map(rssKiB));
  const opened = await openPhase(ctx, 'mixed', n);
  if (opened.failed) notes.push(`${opened.failed} of ${n} sockets failed to open: ${opened.errors.join('; ')}`);
  await sleep(options.idleSettle * 1000);
  const rss1 = sum(running.pids.map(rssKiB));
  const cpu0 = cpuOf(running.pids);
  const t0 = now();
  await sleep(options.idleWindow * 1000);
  const cpu1 = cpuOf(running.pids);
  const t1 = now();
  const rss2 = sum(running.pids.map(rssKiB));
  const status = await Promise.all(ctx.workers.map((w) => w.call({ op: 'status' }, 10_000)));
  const stillOpen = sum(status.map((s) => s.open));
  const dropped = sum(status.map((s) => s.dropped));
  if (dropped) notes.push(`${dropped} sockets dropped while idle`);
  const redisRss = running.redisPid ? rssKiB(running.redisPid) : NaN;
  return {
    metrics: {
      kib_per_conn: (rss2 - rss0) / Math.max(1, opened.ok),
      idle_cpu_pct: ((cpu1 - cpu0) / ((t1 - t0) / 1000)) * 100,
      rss_before_mib: rss0 / 1024,
      rss_after_mib: rss2 / 1024,
      connect_s: opened.ms / 1000,
      rss_settled_mib: rss1 / 1024,
      redis_rss_mib: redisRss / 1024,
    },
    delivered: stillOpen,
    expected: n,
    notes,
  };
}

async function connect(ctx: Context): Promise<Outcome> {
  const { options, running } = ctx;
  const notes: string[] = [];
  const parts = split(options.connectM, ctx.workers.length);
  const timeoutMs = 30_000 + options.connectM * 10;
  const cpu0 = cpuOf(running.pids);
  const replies = await Promise.all(
    ctx.workers.map((w, i) =>
      w.call(
        {
          op: 'connect',
          proto: ctx.proto,
          ports: running.ports,
          from: parts[i].from,
          count: parts[i].count,
          concurrency: Math.max(1, Math.ceil(options.connectC / ctx.workers.length)),
          timeoutMs: 20_000,
        },
        timeoutMs,
      ),
    ),
  );
  const cpu1 = cpuOf(running.pids);
  const ok = sum(replies.map((r) => r.ok));
  const failed = sum(replies.map((r) => r.failed));
  if (failed) notes.push(`${failed} handshakes failed: ${replies.flatMap((r) => r.errors).join('; ')}`);
  const samples = replies.flatMap((r) => r.times);
  const sorted = sortNumbers(samples);
  const seconds = Math.max(...replies.map((r) => r.ms)) / 1000;
  return {
    metrics: {
      handshakes_per_s: ok / seconds,
      hs_p50_ms: percentile(sorted, 50),
      hs_p99_ms: percentile(sorted, 99),
      cpu_us_per_handshake: ((cpu1 - cpu0) / Math.max(1, ok)) * 1e6,
    },
    delivered: ok,
    expected: options.connectM,
    notes,
    samples,
  };
}

// ---------------------------------------------------------------- plan

interface Planned {
  def: ScenarioDef;
  run: (ctx: Context) => Promise<Outcome>;
}

function plan(options: Options, idleN: number): Planned[] {
  const out: Planned[] = [];
  for (const scenario of options.scenarios) {
    if (scenario === 'fanout') {
      for (const n of options.fanoutN) {
        out.push({
          def: {
            id: `fanout-${n}`,
            title: `fanout N=${n.toLocaleString('en-US')}`,
            unit: 'deliveries',
            curve: `fanout N=${n.toLocaleString('en-US')}: notify → frame at the client`,
            metrics: [
              { key: 'deliveries_per_s', label: 'deliveries/s', better: 'higher' },
              { key: 'cpu_us_per_delivery', label: 'server CPU µs/delivery', better: 'lower' },
              { key: 'p50_ms', label: 'p50 latency ms', better: 'lower' },
              { key: 'p99_ms', label: 'p99 latency ms', better: 'lower' },
              { key: 'max_ms', label: 'max latency ms', better: 'lower' },
              { key: 'connect_s', label: 'time to connect all N, s', better: 'lower' },
            ],
          },
          run: (ctx) => fanout(ctx, n),
        });
      }
    } else if (scenario === 'chat') {
      out.push({
        def: {
          id: 'chat',
          title: `chat ${options.chatPairs.toLocaleString('en-US')} pairs × ${options.chatK}`,
          unit: 'messages',
          curve: `chat: round trip a → b → a`,
          metrics: [
            { key: 'msgs_per_s', label: 'messages/s', better: 'higher' },
            { key: 'cpu_us_per_msg', label: 'server CPU µs/message', better: 'lower' },
            { key: 'rtt_p50_ms', label: 'p50 round trip ms', better: 'lower' },
            { key: 'rtt_p99_ms', label: 'p99 round trip ms', better: 'lower' },
          ],
        },
        run: chat,
      });
    } else if (scenario === 'idle') {
      out.push({
        def: {
          id: 'idle',
          title: `idle N=${idleN.toLocaleString('en-US')}`,
          unit: 'sockets',
          metrics: [
            { key: 'kib_per_conn', label: 'server RSS KiB/connection', better: 'lower' },
            { key: 'idle_cpu_pct', label: 'server CPU while idle, % of a core', better: 'lower' },
          ],
        },
        run: (ctx) => idle(ctx, idleN),
      });
    } else {
      out.push({
        def: {
          id: 'connect',
          title: `connect M=${options.connectM.toLocaleString('en-US')}`,
          unit: 'handshakes',
          curve: `connect: handshake time (token check included)`,
          metrics: [
            { key: 'handshakes_per_s', label: 'handshakes/s', better: 'higher' },
            { key: 'cpu_us_per_handshake', label: 'server CPU µs/handshake', better: 'lower' },
            { key: 'hs_p50_ms', label: 'p50 handshake ms', better: 'lower' },
            { key: 'hs_p99_ms', label: 'p99 handshake ms', better: 'lower' },
          ],
        },
        run: connect,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------- main

function machine(): string {
  const cpu = cpus();
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}; load average at start ${load}`;
}

function curveOf(samples: number[]): CurvePoint[] {
  const sorted = sortNumbers(samples);
  return CURVE_PERCENTILES.map((p) => ({ p, ms: p === 0 ? sorted[0] : percentile(sorted, p) }));
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const deadline = started + options.maxMinutes * 60_000;
  const secret = randomBytes(32).toString('hex');
  mkdirSync(join(options.out, 'logs'), { recursive: true });
  const notes: string[] = [];

  // A server process holds every socket of its share plus a few dozen other files.
  const limit = openFileLimit();
  let idleN = options.idleN;
  const perProcess = Math.max(idleN / (options.modes.includes('single') ? 1 : 2), idleN / options.workers);
  if (options.scenarios.includes('idle') && perProcess + 200 > limit.soft) {
    idleN = Math.floor((limit.soft - 200) / 500) * 500;
    notes.push(
      `idle ran with N=${idleN} instead of ${options.idleN}: the open-file limit is ${limit.soft} (hard ${limit.hard}) and cannot be raised here, and one server process must hold N sockets plus its own files.`,
    );
  }
  for (const n of options.fanoutN) {
    if (n + 200 > limit.soft) throw new Error(`fanout N=${n} does not fit the open-file limit ${limit.soft}`);
  }

  // Other sessions may rebuild dist/ (nest build deletes it first): run a private copy.
  let oursMain = '';
  if (options.servers.includes('ours')) {
    if (!existsSync(join(options.oursDist, 'main.js')))
      throw new Error(`${options.oursDist}/main.js is missing: run npm run build`);
    const snapshot = join(__dirname, 'ours', String(process.pid));
    rmSync(snapshot, { recursive: true, force: true });
    cpSync(options.oursDist, join(snapshot, 'dist'), { recursive: true });
    oursMain = join(snapshot, 'dist', 'main.js');
    process.on('exit', () => rmSync(snapshot, { recursive: true, force: true }));
  }

  const variants: Variant[] = [];
  for (const mode of options.modes) {
    for (const kind of options.servers) variants.push({ kind, mode, id: mode === 'single' ? kind : `${kind}-redis` });
  }
  const planned = plan(options, idleN);
  const records: RunRecord[] = [];
  const samples = new Map<string, number[]>();
  const command = `node bench/dist/run.js ${process.argv.slice(2).join(' ')}`.trim();
  const sizes = {
    fanoutN: options.fanoutN,
    fanoutK: options.fanoutK,
    warmup: options.warmup,
    payload: options.payload,
    chatPairs: options.chatPairs,
    chatK: options.chatK,
    chatShape: options.chatShape,
    idleN,
    idleSettle: options.idleSettle,
    idleWindow: options.idleWindow,
    connectM: options.connectM,
    connectC: options.connectC,
    openC: options.openC,
    workers: options.workers,
    repeats: options.repeats,
    pingMs: options.pingMs,
  };
  const env = { date: new Date().toISOString(), machine: machine(), command, sizes };
  console.log(`bench: ${env.machine}\nbench: writing to ${options.out}`);

  const total = planned.length * options.repeats * variants.length;
  let index = 0;
  // Repeats outermost: a deadline then drops the last repeats, not a whole scenario.
  for (let rep = 0; rep < options.repeats; rep++) {
    for (const p of planned) {
      const order = rep % 2 === 0 ? variants : [...variants].reverse();
      for (const [position, variant] of order.entries()) {
        index++;
        const record: RunRecord = {
          scenario: p.def.id,
          variant: variant.id,
          rep,
          position,
          ok: false,
          metrics: {},
          delivered: 0,
          expected: 0,
          notes: [],
          seconds: 0,
          load1: loadavg()[0],
        };
        records.push(record);
        if (Date.now() > deadline) {
          record.error = `not run: --max-minutes ${options.maxMinutes} reached`;
          record.skipped = true;
          continue;
        }
        const label = `[${index}/${total}] ${p.def.id} ${variant.id} repeat ${rep + 1}`;
        const t0 = Date.now();
        let running: Running | undefined;
        let workers: Worker[] = [];
        try {
          running = await startVariant(
            variant,
            {
              secret,
              oursMain,
              benchDist: __dirname,
              pingMs: options.pingMs,
              logDir: join(options.out, 'logs'),
              nodeArgs: options.serverNodeArgs,
              chatShape: options.chatShape,
            },
            `${p.def.id}-${variant.id}-r${rep + 1}`,
          );
          workers = await startWorkers(options.workers, secret);
          const ctx: Context = { options, secret, workers, running, proto: variant.kind === 'socketio' ? 'sio' : 'ws' };
          // Every phase has its own time bound; this one bounds the run as a whole.
          let bound: NodeJS.Timeout | undefined;
          const outcome = await Promise.race([
            p.run(ctx),
            new Promise<never>((_, reject) => {
              bound = setTimeout(() => reject(new Error('run took over 15 minutes')), 15 * 60_000);
            }),
          ]).finally(() => clearTimeout(bound));
          record.metrics = outcome.metrics;
          record.delivered = outcome.delivered;
          record.expected = outcome.expected;
          record.notes = outcome.notes;
          const crash = running.crashed();
          if (crash) throw new Error(crash);
          record.ok = true;
          if (outcome.samples) {
            const key = `${p.def.id}|${variant.id}`;
            const pooled = samples.get(key) ?? [];
            for (const s of outcome.samples) pooled.push(s);
            samples.set(key, pooled);
          }
        } catch (error) {
          record.error = error instanceof Error ? error.message : String(error);
          if (record.expected === 0) record.expected = expectedOf(p.def.id, options, idleN);
        } finally {
          await Promise.all(workers.map((w) => w.call({ op: 'close' }, 10_000).catch(() => undefined)));
          await Promise.all(workers.map((w) => stopChild(w.child, 2000)));
          await running?.stop();
        }
        record.seconds = (Date.now() - t0) / 1000;
        const shown = p.def.metrics.map((m) => `${m.key}=${fmt(record.metrics[m.key])}`).join(' ');
        const loss = record.delivered === record.expected ? '' : ` LOSS ${record.delivered}/${record.expected}`;
        console.log(
          `${label}: ${record.ok ? shown : `FAILED ${record.error}`}${loss}${record.notes.length ? ` (${record.notes.join('; ')})` : ''} [${record.seconds.toFixed(1)} s]`,
        );
        writeFileSync(join(options.out, 'results.json'), JSON.stringify({ ...env, notes, runs: records }, null, 2));
      }
    }
  }

  // ------------------------------------------------------------ report
  const summaries = new Map<string, Summary>();
  for (const p of planned) {
    for (const v of variants) {
      const s = summarise(p.def.id, v.id, records, p.def.metrics);
      const pooled = samples.get(`${p.def.id}|${v.id}`);
      if (pooled?.length) s.curve = curveOf(pooled);
      summaries.set(`${p.def.id}|${v.id}`, s);
    }
  }
  const defs = planned.map((p) => p.def);
  const lines = [
    `# Benchmark ${env.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- machine: ${env.machine}`,
    `- command: \`${command}\``,
    `- sizes: fanout N=${options.fanoutN.join(', ')}, K=${options.fanoutK} notifies (+${options.warmup} warm-up not counted) of ~${options.payload} B; chat ${options.chatPairs} pairs × ${options.chatK} messages, shape ${options.chatShape}; idle N=${idleN}, ${options.idleWindow} s window; connect M=${options.connectM}, ${options.connectC} at a time; ${options.repeats} repeat(s), order alternating; ${options.workers} client processes`,
    `- cells: median over repeats (ratio to this service in the same mode); ↑ higher is better, ↓ lower is better; delivered/expected is summed over every repeat`,
    `- load average at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; per run in results.json (\`load1\`)`,
    ...notes.map((n) => `- note: ${n}`),
  ];
  for (const mode of options.modes) {
    const vs = variants.filter((v) => v.mode === mode).map((v) => v.id);
    lines.push(
      '',
      mode === 'single' ? '## One instance' : '## Two instances sharing one Redis (clients split evenly)',
      '',
    );
    lines.push(markdownTable(defs, vs, summaries, mode === 'single' ? 'ours' : 'ours-redis'));
  }
  lines.push('', '## Targets of issue 4', '', targetLines(targets(defs, summaries)));
  const failures = records.filter((r) => !r.ok && !r.skipped);
  const skipped = records.filter((r) => r.skipped).length;
  const noted = records.filter((r) => r.notes.length);
  if (failures.length || noted.length || skipped) {
    lines.push('', '## Problems seen', '');
    if (skipped) lines.push(`- ${skipped} runs not started: --max-minutes ${options.maxMinutes} reached`);
    for (const r of failures) lines.push(`- ${r.scenario} ${r.variant} repeat ${r.rep + 1}: ${r.error}`);
    for (const r of noted) lines.push(`- ${r.scenario} ${r.variant} repeat ${r.rep + 1}: ${r.notes.join('; ')}`);
  }
  const markdown = lines.join('\n') + '\n';
  writeFileSync(join(options.out, 'results.md'), markdown);
  writeFileSync(
    join(options.out, 'results.json'),
    JSON.stringify({ ...env, notes, summaries: [...summaries.values()], runs: records }, null, 2),
  );
  const panels: Panel[] = defs
    .filter((d) => d.curve)
    .map((d) => ({
      title: d.curve ?? d.title,
      series: variants
        .map((v) => ({ variant: v.id, points: summaries.get(`${d.id}|${v.id}`)?.curve ?? [] }))
        .filter((s) => s.points.length > 0),
    }));
  writeFileSync(join(options.out, 'latency.svg'), latencySvg(panels, `${env.date.slice(0, 10)} · ${env.machine}`));
  console.log(`\n${markdown}\nbench: results in ${options.out} (${((Date.now() - started) / 60000).toFixed(1)} min)`);
}

function expectedOf(scenario: string, options: Options, idleN: number): number {
  if (scenario.startsWith('fanout-')) return Number(scenario.slice(7)) * options.fanoutK;
  if (scenario === 'chat') return options.chatPairs * options.chatK;
  if (scenario === 'idle') return idleN;
  return options.connectM;
}

process.on('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    console.error(`bench: ${signal}: stopping every process it started`);
    killAllChildren();
    process.exit(130);
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    killAllChildren();
    process.exit(1);
  },
);
