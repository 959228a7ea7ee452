/**
 * The four scenarios as the coordinator drives them. Each reads the servers' CPU and memory from
 * `/proc` around only the part it measures, and returns what was delivered next to what was
 * expected, so that a loss is reported with the figures rather than hidden in them.
 */
import { Agent } from 'node:http';
import {
  cpuSeconds,
  now,
  percentile,
  rssKiB,
  signToken,
  sleep,
  sortNumbers,
  type Endpoint,
  type Protocol,
} from './common';
import { split, type Worker } from './client-workers';
import { post } from './http-post';
import type { Options } from './options';
import type { Running } from './servers';

export const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
export const cpuOf = (pids: number[]): number => sum(pids.map(cpuSeconds));

export interface Context {
  options: Options;
  secret: string;
  workers: Worker[];
  running: Running;
  proto: Protocol;
}

export interface Outcome {
  metrics: Record<string, number>;
  delivered: number;
  expected: number;
  notes: string[];
  samples?: number[];
}

export async function openPhase(
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

export async function fanout(ctx: Context, n: number): Promise<Outcome> {
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

export async function chat(ctx: Context): Promise<Outcome> {
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

/**
 * Idle sockets cost memory and the heartbeat that keeps them: the servers ping at
 * `--idle-ping-ms` here (the default of this service and of Socket.IO alike), and the window
 * spans whole intervals. With pings off, the window measured only V8's own timers (bench/README).
 */
export async function idle(ctx: Context, n: number): Promise<Outcome> {
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

export async function connect(ctx: Context): Promise<Outcome> {
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
