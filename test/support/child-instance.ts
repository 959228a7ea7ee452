import { tmpdir } from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { freePort } from './ports';
import { waitFor } from './wait';

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');
/** Not the repository: `dist/main.js` reads `.env` from its working directory, and a developer's must not reach a test. */
const NO_ENV_FILE_DIR = tmpdir();
/** How much of a process's output `output` keeps: every line of a test's run, and a bound. */
const OUTPUT_BOUND = 4 * 1024 * 1024;

/** `dist/main.js`'s environment for a test: loopback, a free port, `NODE_ENV=test`, then `env`. */
function childEnv(port: number, env: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(port), ...env };
}

/**
 * The built service (`dist/main.js`, from `npm test`'s build step) in a process of its own, for
 * what an in-process instance cannot show: being killed with SIGKILL. The test must `stop()` it.
 */
export class ChildInstance {
  private recent = '';
  private all = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly http: string,
  ) {
    const collect = (chunk: Buffer): void => {
      const text = chunk.toString();
      this.recent = (this.recent + text).slice(-4000);
      if (this.all.length < OUTPUT_BOUND) this.all += text;
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
  }

  static async start(env: Record<string, string>): Promise<ChildInstance> {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      cwd: NO_ENV_FILE_DIR,
      env: childEnv(port, env),
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
      throw new Error(`${String(error)}\n${instance.recent}`);
    }
    return instance;
  }

  /**
   * Runs `dist/main.js` to its exit (a start that must fail), killed after `timeoutMs`: its exit
   * code and everything it wrote to stdout and stderr.
   */
  static async run(env: Record<string, string>, timeoutMs = 15_000): Promise<{ code: number | null; output: string }> {
    const child = spawn(process.execPath, [MAIN], {
      cwd: NO_ENV_FILE_DIR,
      env: childEnv(await freePort(), env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer): void => void (output += chunk.toString());
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    // 'close', not 'exit': the pipes are read to their end.
    const [code] = (await once(child, 'close')) as [number | null];
    clearTimeout(timer);
    return { code, output };
  }

  get ws(): string {
    return this.http.replace(/^http/, 'ws');
  }

  /** The last 4,000 characters the process wrote to stdout and stderr. */
  get log(): string {
    return this.recent;
  }

  /** Everything the process wrote to stdout and stderr (up to 4 MiB), whole lines for parsing. */
  get output(): string {
    return this.all;
  }

  /** Waits until the process has written a line matching `pattern` (within the last 4,000 characters). */
  async waitForLog(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    await waitFor(() => pattern.test(this.recent), { timeoutMs, intervalMs: 20, what: `log line ${pattern}` });
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
