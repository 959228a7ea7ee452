/**
 * The soak test: two instances of the built service (`dist/main.js`) behind a `redis-server`,
 * all started here on 127.0.0.1, and a few thousand clients in forked workers that connect,
 * chat, join rooms, get pushes and notifies, drop and resume, abort handshakes and leave, at
 * random, for `--duration` seconds; a paused reader or two stop reading. Then a drain, and the
 * ledger (`soak-ledger.ts`): every accepted message against what every subscriber received.
 * Prints one line, `soak: N sent, N delivered, N lost, rss <before> -> <peak> -> <after> MiB`,
 * details on stderr, and exits 1 if anything was lost. See bench/README.md, "Soak test".
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { now, rssKiB, sleep } from './common';
import { peakRssKiB, resetPeakRss } from './peak-rss';
import { killAllChildren, startVariant, stopChild, type Running } from './servers';
import { computeLedger, type Busy, type SendRecord, type SubRecord } from './soak-ledger';
import { pushUser, slots as allSlots } from './soak-plan';
import { collectGarbage, inspectorUrl } from './soak-gc';
import { SoakWorker, startTraffic } from './soak-traffic';

interface SoakOptions {
  durationS: number;
  clients: number;
  workers: number;
  drainS: number;
  paused: number;
}

const USAGE =
  'usage: npm run soak -- [--duration <s>=60] [--clients <n>=2000] [--workers <n>=2] [--drain <s>=30] [--paused <n>=2]';

function parse(argv: string[]): SoakOptions {
  const options: SoakOptions = { durationS: 60, clients: 2000, workers: 2, drainS: 30, paused: 2 };
  const keys: Record<string, keyof SoakOptions> = {
    '--duration': 'durationS',
    '--clients': 'clients',
    '--workers': 'workers',
    '--drain': 'drainS',
    '--paused': 'paused',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = keys[argv[i]];
    const value = Number(argv[i + 1]);
    if (!key || !Number.isFinite(value) || value < 0) throw new Error(`${argv[i]} ${argv[i + 1] ?? ''}: ${USAGE}`);
    options[key] = value;
  }
  if (options.durationS < 1 || options.clients < 20 || options.workers < 1) throw new Error(USAGE);
  return options;
}

/** Limits that would bite a few thousand clients on one loopback address; the buffer limit stays. */
const SERVER_ENV = {
  HTTP_RATE_PER_MIN: '1000000',
  WS_MAX_MESSAGES_PER_SEC: '1000',
  WS_MAX_CONNECTIONS_PER_USER: '1000',
  // History no run of up to an hour trims: a gap frame would then be a real loss.
  HISTORY_SIZE: '20000',
};

const mib = (kib: number): string => (kib / 1024).toFixed(0);
const rssSum = (pids: number[]): number => pids.reduce((sum, pid) => sum + rssKiB(pid), 0);
const log = (line: string): void => void process.stderr.write(`soak: ${line}\n`);

/** Other sessions may rebuild dist/ while the soak runs: it runs a private copy. */
function snapshotDist(): string {
  if (!existsSync('dist/main.js')) throw new Error('dist/main.js is missing: run npm run build');
  const snapshot = join(__dirname, 'ours', `soak-${process.pid}`);
  rmSync(snapshot, { recursive: true, force: true });
  cpSync('dist', join(snapshot, 'dist'), { recursive: true });
  process.on('exit', () => rmSync(snapshot, { recursive: true, force: true }));
  return join(snapshot, 'dist', 'main.js');
}

/** Waits until no frame arrives for 2 s and no send or handshake is under way; false at the deadline. */
async function drain(workers: SoakWorker[], deadline: number): Promise<boolean> {
  let last = -1;
  let still = 0;
  for (;;) {
    const counts = await Promise.all(workers.map((w) => w.call({ op: 'count' }, 'count', 10_000)));
    const frames = counts.reduce((n, c) => n + c.frames, 0);
    const unsettled = counts.reduce((n, c) => n + c.unsettled, 0);
    still = frames === last && unsettled === 0 ? still + 1 : 0;
    if (still >= 4) return true;
    if (now() >= deadline) {
      log(`drain: still ${unsettled} sends or handshakes under way, ${frames - last} frames in the last 0.5 s`);
      return false;
    }
    last = frames;
    await sleep(500);
  }
}

async function main(options: SoakOptions): Promise<number> {
  const secret = randomBytes(32).toString('hex');
  const logDir = join(tmpdir(), `soak-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(logDir, { recursive: true });
  const oursMain = snapshotDist();
  let running: Running | undefined;
  const workers: SoakWorker[] = [];
  try {
    running = await startVariant(
      { kind: 'ours', mode: 'redis', id: 'ours-redis' },
      {
        secret,
        oursMain,
        benchDist: __dirname,
        pingMs: 25_000,
        logDir,
        nodeArgs: ['--inspect=127.0.0.1:0'],
        chatShape: 'contract',
        env: SERVER_ENV,
      },
      'soak',
    );
    const { pids, ports } = running;
    await sleep(1000);
    const before = rssSum(pids);
    pids.forEach(resetPeakRss);

    const slots = allSlots(options.clients, options.paused);
    for (let w = 0; w < options.workers; w++) workers.push(await SoakWorker.start());
    const rampMs = Math.min(5000, (options.durationS * 1000) / 3);
    await Promise.all(
      workers.map((worker, w) =>
        worker.call(
          { op: 'start', ports, secret, slots: slots.filter((s) => s.index % options.workers === w), rampMs },
          'started',
          10_000,
        ),
      ),
    );
    const traffic = startTraffic({
      ports,
      secret,
      pushUsers: slots.filter((s) => s.kind === 'push').map(pushUser),
      pausedUsers: slots.filter((s) => s.kind === 'paused').map(pushUser),
      notifyEveryMs: 500,
      pushEveryMs: 50,
      pausedPushBytes: 32 * 1024,
      pausedPushEveryMs: 250,
    });
    log(
      `${slots.length} slots (${options.clients} clients, ${options.paused} paused readers) on ports ${ports.join(', ')}, logs in ${logDir}`,
    );
    await sleep(options.durationS * 1000);

    const drainDeadline = now() + options.drainS * 1000;
    await Promise.all([
      traffic.stop(),
      ...workers.map((w) =>
        w.call({ op: 'stop', timeoutMs: options.drainS * 1000 }, 'stopped', options.drainS * 1000 + 10_000),
      ),
    ]);
    const drained = await drain(workers, drainDeadline);
    const reports = await Promise.all(workers.map((w) => w.call({ op: 'finish' }, 'report', 30_000)));
    await Promise.all(workers.map((w) => stopChild(w.child, 2000)));
    const peak = pids.reduce((sum, pid) => sum + peakRssKiB(pid), 0);

    // The clients are gone. An idle process collects when V8 decides to; a full collection
    // through each instance's inspector (`soak-gc.ts`) shows what the instances still hold.
    await sleep(5000);
    const idle = rssSum(pids);
    await Promise.all(
      pids.map(async (_pid, i) => {
        const url = inspectorUrl(join(logDir, `soak-${i}.log`));
        if (!url) return log(`instance ${i}: no inspector URL in its log`);
        await collectGarbage(url).catch((error: unknown) => log(`instance ${i}: no collection: ${String(error)}`));
      }),
    );
    let after = Infinity;
    for (let i = 0; i < 3; i++) {
      await sleep(1000);
      after = Math.min(after, rssSum(pids));
    }
    const crash = running.crashed();

    const sends: SendRecord[] = [...traffic.sends, ...reports.flatMap((r) => r.sends)];
    const subs: SubRecord[] = reports.flatMap((r) => r.subs);
    const busy: Busy[] = reports.flatMap((r) => r.busy);
    const ledger = computeLedger(sends, subs, busy);
    const stats: Record<string, number> = {};
    for (const r of reports) for (const [k, v] of Object.entries(r.stats)) stats[k] = (stats[k] ?? 0) + v;

    log(
      `ledger: ${ledger.expected} deliveries due (${JSON.stringify(ledger.expectedBy)}), lost ${JSON.stringify(ledger.lostBy)}`,
    );
    for (const sample of ledger.samples) log(`lost: ${sample}`);
    log(
      `paused readers and 1013 closes: ${ledger.excludedPaused} deliveries excluded, ${ledger.closed1013} sockets closed 1013`,
    );
    log(`duplicates ${ledger.duplicates}, gap frames ${ledger.gaps}, subscribers ${subs.length}, drained ${drained}`);
    log(`POSTs refused: ${JSON.stringify(traffic.refused)}; clients: ${JSON.stringify(stats)}`);
    const back = after <= before + Math.max(0.5 * (peak - before), 32 * 1024);
    log(
      `memory ${back ? 'came back' : 'did NOT come back'}: ${mib(before)} -> ${mib(peak)} (sum of VmHWM) -> ${mib(idle)} (5 s after the clients left) -> ${mib(after)} MiB (after a full GC)`,
    );
    if (crash) log(`an instance exited during the run: ${crash}`);
    console.log(
      `soak: ${ledger.sent} sent, ${ledger.delivered} delivered, ${ledger.lost} lost, rss ${mib(before)} -> ${mib(peak)} -> ${mib(after)} MiB`,
    );
    return ledger.lost > 0 || crash || !drained ? 1 : 0;
  } finally {
    await Promise.all(workers.map((w) => stopChild(w.child, 2000)));
    await running?.stop();
  }
}

process.on('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    log(`${signal}: stopping every process it started`);
    killAllChildren();
    process.exit(130);
  });
}

let options: SoakOptions;
try {
  options = parse(process.argv.slice(2));
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
}
// The whole run is bounded: the duration, the drain, and a fixed margin for start and stop.
setTimeout(
  () => {
    log('the run overran its bound: stopping everything');
    killAllChildren();
    process.exit(3);
  },
  (options.durationS + options.drainS + 120) * 1000,
).unref();
main(options).then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    killAllChildren();
    process.exit(1);
  },
);
