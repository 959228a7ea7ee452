import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { freePort } from './redis-server';
import { waitFor } from './wait';

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

/**
 * The built service (`dist/main.js`, from `npm test`'s build step) in a process of its own, for
 * what an in-process instance cannot show: being killed with SIGKILL. The test must `stop()` it.
 */
export class ChildInstance {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly http: string,
  ) {
    const collect = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
  }

  static async start(env: Record<string, string>): Promise<ChildInstance> {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const instance = new ChildInstance(child, `http://127.0.0.1:${port}`);
    try {
      await waitFor(async () => (await fetch(`${instance.http}/health`).catch(() => undefined))?.status === 200, {
        timeoutMs: 15_000,
        intervalMs: 100,
        what: `dist/main.js to serve /health (built? run npm run build)`,
      });
    } catch (error) {
      await instance.stop();
      throw new Error(`${String(error)}\n${instance.output}`);
    }
    return instance;
  }

  get ws(): string {
    return this.http.replace(/^http/, 'ws');
  }

  /** The last 4,000 characters the process wrote to stdout and stderr. */
  get log(): string {
    return this.output;
  }

  /** Waits until the process has written a line matching `pattern` (within the last 4,000 characters). */
  async waitForLog(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    await waitFor(() => pattern.test(this.output), { timeoutMs, intervalMs: 20, what: `log line ${pattern}` });
  }

  /** SIGSTOP: the process freezes with its TCP connections up, like a stuck event loop. */
  pause(): void {
    this.child.kill('SIGSTOP');
  }

  /** SIGCONT after `pause`. */
  resume(): void {
    this.child.kill('SIGCONT');
  }

  /** Sends `signal` without waiting; `exited` tells when the process is gone. */
  send(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Resolves with the exit code (or signal) once the process has exited. */
  async exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return { code: this.child.exitCode, signal: this.child.signalCode };
    }
    const [code, signal] = (await once(this.child, 'exit')) as [number | null, NodeJS.Signals | null];
    return { code, signal };
  }

  /** SIGKILL: no shutdown hook runs, so nothing is cleaned up in Redis. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async stop(): Promise<void> {
    this.resume();
    await this.signal('SIGTERM');
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
