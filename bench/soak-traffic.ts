/**
 * The coordinator's half of the soak traffic (notifies to `/socket/all`, pushes to the push
 * users, large pushes to the paused readers, each POST to a random instance, each 202's id in
 * the ledger) and its way to talk to the workers.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { now, signToken, sleep } from './common';
import { postReading } from './http-post';
import type { SendRecord } from './soak-ledger';
import type { SoakCommand, SoakReply } from './soak-plan';
import { track } from './servers';

export interface TrafficPlan {
  ports: number[];
  secret: string;
  pushUsers: string[];
  pausedUsers: string[];
  notifyEveryMs: number;
  pushEveryMs: number;
  /** Bytes of each push to a paused reader: enough to fill its buffers within the run. */
  pausedPushBytes: number;
  pausedPushEveryMs: number;
}

export interface Traffic {
  sends: SendRecord[];
  /** Refused or failed POSTs, by status (0: no answer). */
  refused: Record<string, number>;
  stop(): Promise<void>;
}

/** Starts every loop; `stop` ends them and waits for the POSTs in flight. */
export function startTraffic(plan: TrafficPlan): Traffic {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const token = signToken(plan.secret, 'soakadmin', true);
  const sends: SendRecord[] = [];
  const refused: Record<string, number> = {};
  let stopping = false;
  let seq = 0;
  const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)];

  async function postOne(path: string, group: string, body: unknown): Promise<void> {
    const start = now();
    const answer = await postReading(pick(plan.ports), path, JSON.stringify(body), token, agent);
    if (answer.status !== 202) {
      refused[answer.status] = (refused[answer.status] ?? 0) + 1;
      return;
    }
    const { id } = JSON.parse(answer.body) as { id: number };
    sends.push({ group, sender: '', start, accepted: now(), id });
  }

  async function loop(everyMs: number, once: () => Promise<void>): Promise<void> {
    while (!stopping) {
      const next = now() + everyMs;
      await once();
      await sleep(Math.max(0, next - now()));
    }
  }

  const padding = 'x'.repeat(500);
  const big = 'y'.repeat(plan.pausedPushBytes);
  const loops = [
    loop(plan.notifyEveryMs, () =>
      postOne('/api/notify/all_patient_page_data', 'all', { data: { seq: ++seq, padding } }),
    ),
    // Two push loops: one slow answer does not hold every push back.
    ...[0, 1].map(() =>
      loop(plan.pushEveryMs * 2, () => {
        const user = pick(plan.pushUsers);
        return postOne(`/api/push/${user}`, `push:${user}`, { event: { seq: ++seq } });
      }),
    ),
    ...plan.pausedUsers.map((user) =>
      loop(plan.pausedPushEveryMs, () => postOne(`/api/push/${user}`, `push:${user}`, { event: { seq: ++seq, big } })),
    ),
  ];
  return {
    sends,
    refused,
    stop: async () => {
      stopping = true;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

/** One forked worker: a command gets one reply, within a time limit, or fails if the worker exits. */
export class SoakWorker {
  private waiting?: { op: string; resolve: (reply: SoakReply) => void; reject: (error: Error) => void };

  private constructor(readonly child: ChildProcess) {
    child.on('message', (message: SoakReply) => {
      if (this.waiting?.op !== message.op) return;
      const waiter = this.waiting;
      this.waiting = undefined;
      waiter.resolve(message);
    });
    child.once('exit', (code, signal) => this.waiting?.reject(new Error(`soak worker exited (${signal ?? code})`)));
  }

  static async start(): Promise<SoakWorker> {
    const child = track(
      fork(join(__dirname, 'soak-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    const worker = new SoakWorker(child);
    await worker.expect('ready', 15_000);
    return worker;
  }

  call<O extends SoakReply['op']>(cmd: SoakCommand, op: O, timeoutMs: number): Promise<Extract<SoakReply, { op: O }>> {
    const answer = this.expect(op, timeoutMs);
    this.child.send(cmd);
    return answer;
  }

  private expect<O extends SoakReply['op']>(op: O, timeoutMs: number): Promise<Extract<SoakReply, { op: O }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`soak worker: no ${op} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting = {
        op,
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply as Extract<SoakReply, { op: O }>);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }
}
