/**
 * The benchmark: starts each server itself on 127.0.0.1, drives it from forked client
 * workers (never inside the server's process), runs the servers one after another in alternating
 * order with repeats, stops everything it started, and writes results.json, results.md and
 * latency.svg to --out. See bench/README.md.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { openFileLimit } from './common';
import { startWorkers, type Worker } from './client-workers';
import { parseOptions } from './options';
import { expectedOf, plan, RESUME_ONLY_OURS } from './plan';
import { fmt, type RunRecord } from './report';
import { writeResults } from './results';
import type { Context } from './scenarios';
import { killAllChildren, startVariant, stopChild, type Running, type Variant } from './servers';

function machine(): string {
  const cpu = cpus();
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}; load average at start ${load}`;
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
  if (options.scenarios.includes('resume') && options.resumeN + 200 > limit.soft)
    throw new Error(`resume N=${options.resumeN} does not fit the open-file limit ${limit.soft}`);
  if (options.scenarios.includes('resume') && options.servers.some((s) => s !== 'ours')) notes.push(RESUME_ONLY_OURS);

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
    resumeN: options.resumeN,
    resumeMissed: options.resumeMissed,
    connectM: options.connectM,
    connectC: options.connectC,
    openC: options.openC,
    workers: options.workers,
    repeats: options.repeats,
    pingMs: options.pingMs,
    idlePingMs: options.idlePingMs,
  };
  const env = { date: new Date().toISOString(), machine: machine(), command, sizes };
  console.log(`bench: ${env.machine}\nbench: writing to ${options.out}`);

  const variantsOf = (p: (typeof planned)[number]): Variant[] =>
    variants.filter((v) => !p.servers || p.servers.includes(v.kind));
  const total = options.repeats * planned.reduce((n, p) => n + variantsOf(p).length, 0);
  let index = 0;
  // Repeats outermost: a deadline then drops the last repeats, not a whole scenario.
  for (let rep = 0; rep < options.repeats; rep++) {
    for (const p of planned) {
      const order = rep % 2 === 0 ? variantsOf(p) : [...variantsOf(p)].reverse();
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
              pingMs: p.pingMs ?? options.pingMs,
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

  const markdown = writeResults({ options, env, notes, idleN, planned, variants, records, samples });
  console.log(`\n${markdown}\nbench: results in ${options.out} (${((Date.now() - started) / 60000).toFixed(1)} min)`);
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
