import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { binaryPath } from './binaries';
import { freePort } from './ports';

// Its old home; tests that need no Redis import it from ./ports.
export { freePort };

const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * A real `redis-server` for one test file, on a free port of 127.0.0.1, without persistence (a
 * restart loses every key, as an unpersisted production Redis would). `restart()` keeps the port,
 * so clients' reconnects land on the new process. The test must `stop()` it in `afterAll`.
 */
export class RedisServer {
  private process: ChildProcess | undefined;
  private output = '';

  private constructor(readonly port: number) {}

  static async start(): Promise<RedisServer> {
    // The free port may be taken between probing and binding; try a few.
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const server = new RedisServer(await freePort());
      try {
        await server.launch();
        return server;
      } catch (error) {
        lastError = error;
        await server.stop();
      }
    }
    throw lastError;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.process !== undefined;
  }

  /** SIGTERM, then SIGKILL if it has not exited within 5 s. */
  async stop(): Promise<void> {
    await this.terminate('SIGTERM');
  }

  /** SIGKILL: the abrupt loss of Redis. */
  async kill(): Promise<void> {
    await this.terminate('SIGKILL');
  }

  /** Stops it if it runs, then starts a new, empty server on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  private async launch(): Promise<void> {
    const args = ['--save', '', '--appendonly', 'no', '--port', String(this.port), '--bind', '127.0.0.1'];
    const child = spawn(binaryPath('redis-server'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    this.output = '';
    // Its own "Ready to accept connections" line, not just any answer on the port: proves that
    // this process (not another test's) owns the port. Then one PING, as a client would see it.
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`redis-server not ready in ${READY_TIMEOUT_MS} ms:\n${this.output}`));
      }, READY_TIMEOUT_MS);
      const collect = (chunk: Buffer): void => {
        this.output = (this.output + chunk.toString()).slice(-4000);
        if (this.output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.once('exit', (code, signal) => {
        if (this.process === child) this.process = undefined;
        clearTimeout(timer);
        reject(new Error(`redis-server exited on start (${code ?? signal}):\n${this.output}`));
      });
    });
    await ready;
    if (!(await ping(this.port))) throw new Error(`redis-server on ${this.port} does not answer PING`);
  }

  private async terminate(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.process = undefined;
      return;
    }
    const exited = once(child, 'exit');
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
      this.process = undefined;
    }
  }
}

/** True when something on the port answers PING with +PONG within a second. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}
