/**
 * The resume scenario: N sockets on /socket/all receive a first notify, all of them drop, K
 * notifies are posted while they are away, and all N reconnect at once with `?since=<the last id
 * each received>`. Measured over the reconnect only: the time until every socket holds all K
 * missed frames (each checked in the worker: consecutive ids, no duplicate, none missing), the
 * servers' CPU, and their peak RSS. This service only: see bench/README.md, *Resume*.
 */
import { Agent } from 'node:http';
import { now, percentile, rssKiB, signToken, sleep, sortNumbers } from './common';
import { split } from './client-workers';
import { post } from './http-post';
import { peakRssKiB, resetPeakRss } from './peak-rss';
import { cpuOf, openPhase, sum, type Context, type Outcome } from './scenarios';

const TOPIC_PATH = '/api/notify/all_patient_page_data';

/** Posts one notify and waits, bounded, until every worker with sockets says all of them got it. */
async function firstNotify(ctx: Context, post1: () => Promise<number>, n: number): Promise<string[]> {
  const withSockets = new Set(split(n, ctx.workers.length).flatMap((part, i) => (part.count > 0 ? [i] : [])));
  let timer: NodeJS.Timeout | undefined;
  const reached = new Promise<boolean>((resolve) => {
    ctx.workers.forEach((w, i) => {
      w.onGot = () => {
        withSockets.delete(i);
        if (withSockets.size === 0) resolve(true);
      };
    });
    timer = setTimeout(() => resolve(false), 5_000 + n);
  });
  const status = await post1();
  const ok = status === 202 && (await reached);
  clearTimeout(timer);
  return ok ? [] : [`the first notify (status ${status}) did not reach every socket`];
}

/** Posts the notifies the dropped sockets will miss, one after another; returns how many were refused. */
async function postMissed(post1: () => Promise<number>, missed: number): Promise<number> {
  let refused = 0;
  for (let i = 0; i < missed; i++) if ((await post1()) !== 202) refused++;
  return refused;
}

export async function resume(ctx: Context): Promise<Outcome> {
  const { options, running, workers } = ctx;
  const n = options.resumeN;
  const missed = options.resumeMissed;
  const notes: string[] = [];
  const opened = await openPhase(ctx, 'resume', n);
  if (opened.failed) notes.push(`${opened.failed} of ${n} sockets failed to open: ${opened.errors.join('; ')}`);
  const token = signToken(ctx.secret, 'bench-admin', true);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const pad = 'x'.repeat(Math.max(0, options.payload - 45));
  let seq = 0;
  const post1 = (): Promise<number> => {
    const body = `{"data":{"bs":${seq++},"bt":${now().toFixed(3)},"pad":"${pad}"}}`;
    return post(running.ports[0], TOPIC_PATH, body, token, agent);
  };
  try {
    notes.push(...(await firstNotify(ctx, post1, n)));
    const drops = await Promise.all(workers.map((w) => w.call({ op: 'resume-drop', timeoutMs: 10_000 }, 20_000)));
    const withId = sum(drops.map((d) => d.withId));
    if (sum(drops.map((d) => d.closed)) < withId) notes.push('some sockets had not closed 10 s after the drop');
    await sleep(1000); // the servers handle the closes before the window
    const refused = await postMissed(post1, missed);
    if (refused) notes.push(`${refused} of ${missed} missed notifies refused`);
    return await reconnectPhase(ctx, { n, missed, withId, notes });
  } finally {
    agent.destroy();
  }
}

/** The measured part: every socket back at once, until each has caught up (or the time limit). */
async function reconnectPhase(
  ctx: Context,
  { n, missed, withId, notes }: { n: number; missed: number; withId: number; notes: string[] },
): Promise<Outcome> {
  const { running, workers } = ctx;
  const rss0 = sum(running.pids.map(rssKiB));
  if (!running.pids.every(resetPeakRss)) notes.push('peak RSS is since start: /proc/<pid>/clear_refs not writable');
  const redisPids = running.redisPid ? [running.redisPid] : [];
  const cpu0 = cpuOf(running.pids);
  const redis0 = cpuOf(redisPids);
  const client0 = cpuOf(workers.map((w) => w.pid));
  const timeoutMs = 30_000 + n * 10;
  const startAt = now();
  const replies = await Promise.all(
    workers.map((w) => w.call({ op: 'resume', ports: running.ports, missed, startAt, timeoutMs }, timeoutMs + 10_000)),
  );
  const cpu = cpuOf(running.pids) - cpu0;
  const redisCpu = cpuOf(redisPids) - redis0;
  const clientCpu = cpuOf(workers.map((w) => w.pid)) - client0;
  const peak = sum(running.pids.map(peakRssKiB));
  noteProblems(replies, notes, timeoutMs);
  const samples = replies.flatMap((r) => r.times);
  const sorted = sortNumbers(samples);
  const caughtUp = sum(replies.map((r) => r.caughtUp));
  return {
    metrics: {
      catchup_s: caughtUp === withId && withId === n ? percentile(sorted, 100) / 1000 : NaN,
      catchup_p50_ms: percentile(sorted, 50),
      catchup_p99_ms: percentile(sorted, 99),
      cpu_s: cpu,
      cpu_us_per_socket: (cpu / Math.max(1, withId)) * 1e6,
      rss_peak_mib: peak / 1024,
      rss_growth_mib: (peak - rss0) / 1024,
      rss_before_mib: rss0 / 1024,
      redis_cpu_s: redisPids.length ? redisCpu : NaN,
      caught_up: caughtUp,
      // The clients share the two cores with the servers: what they took explains the wall time.
      client_cpu_s: clientCpu,
    },
    delivered: sum(replies.map((r) => r.delivered)),
    expected: n * missed,
    notes,
    samples,
  };
}

function noteProblems(
  replies: {
    duplicates: number;
    missing: number;
    gaps: number;
    unexpected: number;
    failed: number;
    silent: number;
    timedOut: boolean;
    errors: string[];
  }[],
  notes: string[],
  timeoutMs: number,
): void {
  const count = (key: 'duplicates' | 'missing' | 'gaps' | 'unexpected' | 'failed' | 'silent'): number =>
    sum(replies.map((r) => r[key]));
  if (count('duplicates')) notes.push(`${count('duplicates')} duplicate frames`);
  if (count('missing')) notes.push(`${count('missing')} ids skipped`);
  if (count('gaps')) notes.push(`${count('gaps')} gap frames`);
  if (count('unexpected')) notes.push(`${count('unexpected')} frames without an id`);
  if (count('failed')) notes.push(`${count('failed')} sockets failed to reconnect or closed before catching up`);
  if (count('silent')) notes.push(`${count('silent')} sockets reconnected but received no frame`);
  if (replies.some((r) => r.timedOut)) notes.push(`not every socket caught up within ${timeoutMs} ms`);
  const errors = replies.flatMap((r) => r.errors).slice(0, 5);
  if (errors.length) notes.push(`errors: ${errors.join('; ')}`);
}
