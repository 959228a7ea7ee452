import { createSecretKey, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { sign } from 'jsonwebtoken';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable between processes. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** `u000042`: zero-padded so that string order is numeric order (chat group names). */
export function userId(index: number): string {
  return `u${String(index).padStart(6, '0')}`;
}

/** The chat group of pair `p`: users 2p and 2p+1, already in ascending order. */
export function chatGroup(pair: number): string {
  return `${userId(2 * pair)}_${userId(2 * pair + 1)}`;
}

const keys = new Map<string, KeyObject>();

/**
 * The secret as a KeyObject. Given a string, jsonwebtoken 9 first tries `createPublicKey(secret)`
 * on every sign and verify, which costs about 0.5 ms on this machine (an OpenSSL 3 decoder
 * probe); a KeyObject skips it.
 */
export function secretKey(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = createSecretKey(Buffer.from(secret, 'utf8'))));
  return key;
}

export function signToken(secret: string, sub: string, admin = false): string {
  return sign({ sub, roles: admin ? ['admin'] : [] }, secretKey(secret), { algorithm: 'HS256', expiresIn: '12h' });
}

/**
 * What a client socket opens: the global socket, a push channel, or one side of a chat. `resume`
 * is the global socket too, with the frame handler that tracks ids (`worker-resume.ts`).
 */
export type Endpoint = 'all' | 'push' | 'chat' | 'resume';
export type Protocol = 'ws' | 'sio';

/** Coordinator → worker. */
export type WorkerCommand =
  | {
      op: 'open';
      proto: Protocol;
      ports: number[];
      /** `mixed`: even indexes on /socket/all, odd ones on /push/<user> (the idle scenario). */
      ep: Endpoint | 'mixed';
      from: number;
      count: number;
      concurrency: number;
      timeoutMs: number;
    }
  | { op: 'fanout-report'; measureFrom: number }
  /** `acks`: Socket.IO messages ask for an ack callback (the contract's chat shape). */
  | { op: 'chat'; k: number; timeoutMs: number; acks: boolean }
  | {
      op: 'connect';
      proto: Protocol;
      ports: number[];
      from: number;
      count: number;
      concurrency: number;
      timeoutMs: number;
    }
  | { op: 'status' }
  /** Every socket is dropped (the TCP connection destroyed), each keeping the last id it received. */
  | { op: 'resume-drop'; timeoutMs: number }
  /** Every dropped socket reconnects at once with `?since=<its last id>`; `startAt` is the coordinator's clock. */
  | { op: 'resume'; ports: number[]; missed: number; startAt: number; timeoutMs: number }
  | { op: 'close' };

/** Worker → coordinator. */
export type WorkerReply =
  | { op: 'ready' }
  | { op: 'opened'; ok: number; failed: number; ms: number; errors: string[] }
  | { op: 'got'; seq: number }
  | { op: 'fanout-report'; delivered: number; duplicates: number; other: number; latencies: number[] }
  | { op: 'chat-done'; delivered: number; errors: number; rtts: number[]; timedOut: boolean }
  | { op: 'connect-done'; ok: number; failed: number; times: number[]; ms: number; errors: string[] }
  | { op: 'status'; open: number; dropped: number }
  | { op: 'resume-dropped'; closed: number; withId: number }
  | {
      op: 'resume-done';
      /** Frames received in order: each the id after the last one. */
      delivered: number;
      duplicates: number;
      /** Ids skipped over (a hole in the sequence). */
      missing: number;
      gaps: number;
      /** Frames without an id (an error frame, say). */
      unexpected: number;
      failed: number;
      caughtUp: number;
      /** Sockets open at the end that received no frame since the reconnect. */
      silent: number;
      /** Per socket caught up: ms from `startAt` to its last missed frame. */
      times: number[];
      timedOut: boolean;
      errors: string[];
    }
  | { op: 'closed' };

/** Percentile `p` (0–100) of sorted values, nearest rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function sortNumbers(values: number[]): Float64Array {
  return Float64Array.from(values).sort();
}

export function median(values: number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
}

/** Kernels built without CONFIG_SCHED_INFO have no schedstat files. */
const HAS_SCHEDSTAT = existsSync('/proc/self/schedstat');

/**
 * CPU time of a process in seconds, all its threads: the sum of each thread's time on a CPU in
 * nanoseconds (`/proc/<pid>/task/<tid>/schedstat`). `/proc/<pid>/stat` counts in 10 ms clock
 * ticks, too coarse for an idle server (one tick in a 10 s window is 0.1% of a core), so it is
 * only the fallback. A thread that exited takes its time with it; Node's threads (libuv pool,
 * V8 platform) live as long as the process. NaN once the process is gone.
 */
export function cpuSeconds(pid: number): number {
  if (!HAS_SCHEDSTAT) return cpuTicksSeconds(pid);
  let nanoseconds = 0;
  let threads = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const time = threadNanoseconds(pid, tid);
      if (time === undefined) continue;
      nanoseconds += time;
      threads += 1;
    }
  } catch {
    return NaN;
  }
  return threads > 0 ? nanoseconds / 1e9 : NaN;
}

/** One thread's time on a CPU; undefined if it exited meanwhile. */
function threadNanoseconds(pid: number, tid: string): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}

/** utime + stime of a process in seconds, from /proc/<pid>/stat; NaN once it is gone. */
function cpuTicksSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command: state is field 3, utime field 14 and stime field 15 (1-based, man 5 proc).
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** Resident set size of a process in KiB, from /proc/<pid>/status; NaN once it is gone. */
export function rssKiB(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** USER_HZ: 100 on every Linux the benchmark targets (`getconf CLK_TCK`). */
export const CLOCK_TICKS = 100;

/** The soft limit on open files of this process (children inherit it). */
export function openFileLimit(): { soft: number; hard: number } {
  try {
    const match = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(
      readFileSync('/proc/self/limits', 'utf8'),
    );
    const value = (s: string | undefined): number => (s === undefined || s === 'unlimited' ? Infinity : Number(s));
    return { soft: value(match?.[1]), hard: value(match?.[2]) };
  } catch {
    return { soft: Infinity, hard: Infinity };
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
