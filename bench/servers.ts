/**
 * Starting and stopping what the benchmark measures: this service (`dist/main.js`), the floor and
 * Socket.IO, one instance or two behind a `redis-server` started here. Every child is tracked and
 * killed on exit, on SIGINT/SIGTERM and on an uncaught error.
 */
import { tmpdir } from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { get } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { sleep } from './common';

/**
 * The benchmark measures throughput from a few client IPs and sockets that send as fast as they
 * are answered: the per-client rate limits (600 requests a minute, 50 frames a second) would
 * measure themselves instead. Raised, never off, for this service only.
 */
const RATE_LIMITS_RAISED = { HTTP_RATE_PER_MIN: '1000000000', WS_MAX_MESSAGES_PER_SEC: '1000000' };

export type ServerKind = 'ours' | 'floor' | 'socketio';
export type Mode = 'single' | 'redis';
/** What the floor and Socket.IO do with a chat message: see `floor-chat.ts`. */
export type ChatShape = 'contract' | 'relay';

export interface Variant {
  kind: ServerKind;
  mode: Mode;
  /** `ours`, `ours-redis`, … */
  id: string;
}

export interface Running {
  ports: number[];
  /** The measured server processes (not Redis). */
  pids: number[];
  redisPid?: number;
  /** Set when a server or Redis exited on its own during the run. */
  crashed(): string | undefined;
  stop(): Promise<void>;
}

export interface ServerOptions {
  secret: string;
  /** Script of this service (a snapshot of dist/main.js). */
  oursMain: string;
  benchDist: string;
  pingMs: number;
  logDir: string;
  /** Extra node flags for every measured server (e.g. --prof). */
  nodeArgs: string[];
  chatShape: ChatShape;
  /** Extra environment for this service's instances (the soak raises limits that would bite). */
  env?: NodeJS.ProcessEnv;
}

const children = new Set<ChildProcess>();

export function track<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGKILL to every child still running: the last resort, synchronous. */
export function killAllChildren(): void {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function httpStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
  });
}

function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

async function waitFor(
  what: string,
  child: ChildProcess,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited during start-up`);
    if (await probe()) return;
    await sleep(100);
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms`);
}

function spawnLogged(command: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    // Not the repository: the service reads .env from its working directory, and a developer's must not skew a run.
    return track(spawn(command, args, { cwd: tmpdir(), env, stdio: ['ignore', fd, fd] }));
  } finally {
    closeSync(fd);
  }
}

/**
 * A private `redis-server` on a free port of 127.0.0.1, without persistence, answering PING;
 * stopped again if it does not get there. The caller stops it (`stopChild`).
 */
export async function startRedis(logFile: string): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawnLogged(
    'redis-server',
    ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'],
    process.env,
    logFile,
  );
  try {
    await waitFor('redis-server', child, () => redisPing(port), 10_000);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { child, port };
}

/** Starts the variant's servers (and Redis) on free ports of 127.0.0.1, each ready to serve. */
export async function startVariant(variant: Variant, options: ServerOptions, tag: string): Promise<Running> {
  const started: ChildProcess[] = [];
  let crash: string | undefined;
  const watch = (child: ChildProcess, what: string): void => {
    child.once('exit', (code, signal) => {
      if (!stopping) crash ??= `${what} exited (${signal ?? code})`;
    });
  };
  let stopping = false;
  const stop = async (): Promise<void> => {
    stopping = true;
    // servers first (their shutdown may touch Redis), Redis last
    await Promise.all(started.slice(redis ? 1 : 0).map((child) => stopChild(child)));
    if (redis) await stopChild(redis);
  };
  let redis: ChildProcess | undefined;
  try {
    let redisUrl: string | undefined;
    if (variant.mode === 'redis') {
      const own = await startRedis(join(options.logDir, `${tag}-redis.log`));
      redis = own.child;
      started.push(redis);
      watch(redis, 'redis-server');
      redisUrl = `redis://127.0.0.1:${own.port}`;
    }
    const instances = variant.mode === 'redis' ? 2 : 1;
    const ports: number[] = [];
    const pids: number[] = [];
    for (let i = 0; i < instances; i++) {
      const port = await freePort();
      const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), JWT_SECRET: options.secret };
      delete env.REDIS_URL;
      delete env.NODE_OPTIONS;
      if (redisUrl) env.REDIS_URL = redisUrl;
      let script: string;
      if (variant.kind === 'ours') {
        script = options.oursMain;
        Object.assign(env, { NODE_ENV: 'test', HOST: '127.0.0.1', WS_PING_INTERVAL_MS: String(options.pingMs) });
        Object.assign(env, RATE_LIMITS_RAISED);
        Object.assign(env, options.env);
      } else {
        script = join(options.benchDist, variant.kind === 'floor' ? 'floor-server.js' : 'socketio-server.js');
        Object.assign(env, {
          NODE_ENV: 'production',
          PING_INTERVAL_MS: String(options.pingMs),
          CHAT_SHAPE: options.chatShape,
        });
      }
      const child = spawnLogged(
        process.execPath,
        [...options.nodeArgs, script],
        env,
        join(options.logDir, `${tag}-${i}.log`),
      );
      started.push(child);
      watch(child, `${variant.id} instance ${i}`);
      await waitFor(
        `${variant.id} instance ${i}`,
        child,
        async () => (await httpStatus(port, '/health')) === 200,
        30_000,
      );
      ports.push(port);
      pids.push(child.pid ?? 0);
    }
    return { ports, pids, redisPid: redis?.pid, crashed: () => crash, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
