/**
 * The coordinator's side of the client workers. A worker answers each command with one reply, so a
 * call waits for that reply under a time limit and fails at once if the worker exits: a run never
 * hangs on a lost worker.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { WorkerCommand, WorkerReply } from './common';
import { track } from './servers';

const REPLY_OF = {
  open: 'opened',
  'fanout-report': 'fanout-report',
  chat: 'chat-done',
  connect: 'connect-done',
  status: 'status',
  'resume-drop': 'resume-dropped',
  resume: 'resume-done',
  close: 'closed',
} as const satisfies Record<WorkerCommand['op'], WorkerReply['op']>;

export class Worker {
  private readonly waiting = new Map<string, { resolve: (m: WorkerReply) => void; reject: (e: Error) => void }>();
  onGot: (seq: number) => void = () => undefined;

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: WorkerReply) => {
      if (message.op === 'got') return this.onGot(message.seq);
      const waiter = this.waiting.get(message.op);
      this.waiting.delete(message.op);
      waiter?.resolve(message);
    });
    child.once('exit', (code, signal) => {
      for (const waiter of this.waiting.values()) waiter.reject(new Error(`client worker exited (${signal ?? code})`));
      this.waiting.clear();
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  call<C extends WorkerCommand>(
    cmd: C,
    timeoutMs: number,
  ): Promise<Extract<WorkerReply, { op: (typeof REPLY_OF)[C['op']] }>> {
    const op = REPLY_OF[cmd.op];
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(op);
        reject(new Error(`client worker: no ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(op, {
        resolve: (m) => {
          clearTimeout(timer);
          resolvePromise(m as Extract<WorkerReply, { op: (typeof REPLY_OF)[C['op']] }>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send(cmd);
    });
  }
}

export async function startWorkers(count: number, secret: string): Promise<Worker[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const child = track(
        fork(join(__dirname, 'worker.js'), [], {
          env: { ...process.env, BENCH_JWT_SECRET: secret },
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      );
      await new Promise<void>((resolvePromise, reject) => {
        const timer = setTimeout(() => reject(new Error('client worker did not start')), 15_000);
        child.once('message', () => {
          clearTimeout(timer);
          resolvePromise();
        });
        child.once('exit', () => reject(new Error('client worker exited during start-up')));
      });
      return new Worker(child);
    }),
  );
}

/** Splits `n` global indexes between workers in even-sized, even-aligned ranges (chat pairs stay together). */
export function split(n: number, workers: number): { from: number; count: number }[] {
  const per = Math.floor(n / workers / 2) * 2;
  return Array.from({ length: workers }, (_, i) => ({ from: i * per, count: i === workers - 1 ? n - per * i : per }));
}
