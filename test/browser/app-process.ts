import { tmpdir } from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../support/ports';

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'main.js');
const CLIENT = join(ROOT, 'client', 'dist', 'index.js');
const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const START_ATTEMPTS = 5;

/**
 * The built service (`dist/main.js` and the client it serves from `client/dist/`) in a child
 * process on one port of 127.0.0.1 that survives `stop()`: `start()` again brings it back on the
 * same port, so browsers that reconnect land on the new process. Unlike `ChildInstance`, the port
 * is the instance's, not the process's. The test must `stop()` it in `afterAll`.
 */
export class AppProcess {
  private child: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  /** Starts on a free port; `env` is added to every (re)start. */
  static async start(env: Record<string, string> = {}): Promise<AppProcess> {
    for (const file of [MAIN, CLIENT]) {
      if (!existsSync(file)) {
        throw new Error(`${file} is missing: build first (npm run build)`);
      }
    }
    const app = new AppProcess(await freePort(), env);
    await app.start();
    return app;
  }

  get http(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last output of the process, for failure messages. */
  get log(): string {
    return this.output;
  }

  /**
   * (Re)starts the process on this instance's port. The port is briefly unavailable after a stop
   * or may have been taken by another process meanwhile: a start whose process exits is retried.
   */
  async start(): Promise<void> {
    if (this.running) throw new Error('already running');
    let lastError: unknown;
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      try {
        await this.launch();
        return;
      } catch (error) {
        lastError = error;
        await this.stop();
        await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
      }
    }
    throw new Error(`${String(lastError)}\n${this.output}`);
  }

  /** SIGTERM, as a deployment would: graceful shutdown closes every socket with 1001. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private async launch(): Promise<void> {
    const child = spawn(process.execPath, [MAIN], {
      // Not the repository: dist/main.js reads .env from its working directory, a developer's included.
      cwd: tmpdir(),
      env: { ...process.env, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(this.port), ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const collect = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    // A process that exits (port taken) fails the attempt at once rather than at the timeout.
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`dist/main.js exited with ${child.exitCode ?? child.signalCode} on port ${this.port}`);
      }
      const response = await fetch(`${this.http}/health`).catch(() => undefined);
      await response?.arrayBuffer();
      if (response?.status === 200) return;
      if (Date.now() >= deadline) {
        throw new Error(`timed out after ${READY_TIMEOUT_MS} ms waiting for dist/main.js to serve /health`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
