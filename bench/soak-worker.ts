/**
 * A soak client worker: a child process of `soak.ts` running its share of the slots. Each slot
 * refills itself with a new subscriber (a new user, a random room, a new chat pair; a push slot
 * comes back as the same user after a pause) until the coordinator says stop.
 */
import { now, sleep } from './common';
import { Sub, type SoakWorld, type SubPlan } from './soak-clients';
import { pushUser, ROOMS, type Slot, type SoakCommand, type SoakReply } from './soak-plan';

const world: SoakWorld = {
  ports: [],
  secret: '',
  stopping: false,
  finishing: false,
  sends: [],
  busy: [],
  subs: [],
  seen: new Map(),
  stats: {},
  frames: 0,
  unsettled: 0,
};
const live = new Set<Sub>();
const loops: Promise<void>[] = [];

const rand = (lo: number, hi: number): number => lo + Math.random() * (hi - lo);

function reply(message: SoakReply): void {
  process.send?.(message);
}

async function run(sub: Sub): Promise<void> {
  live.add(sub);
  try {
    await sub.live();
  } finally {
    live.delete(sub);
  }
}

function plan(kind: SubPlan['kind'], group: string, path: string, user: string, lifetimeMs: number): SubPlan {
  return { kind, group, path, user, lifetimeMs, sendEveryMs: 0 };
}

/** One occupant of the slot, then the next, until the run stops. */
async function slotLoop(slot: Slot, rampMs: number): Promise<void> {
  await sleep(rand(0, rampMs));
  for (let gen = 0; !world.stopping; gen++) {
    const id = `${slot.index}x${gen}`;
    const life = rand(5000, 40_000);
    if (slot.kind === 'all') {
      await run(new Sub(world, plan('all', 'all', '/socket/all', `a${id}`, life)));
    } else if (slot.kind === 'room') {
      const room = `soak-${Math.floor(Math.random() * ROOMS)}`;
      const p = plan('room', `room:${room}`, `/ws/room/${room}`, `r${id}`, life);
      await run(new Sub(world, { ...p, sendEveryMs: rand(4000, 12_000) }));
    } else if (slot.kind === 'chat') {
      const [a, b] = [`ca${id}`, `cb${id}`];
      const group = `${a}_${b}`;
      const side = (user: string, to: string): Sub =>
        new Sub(world, {
          ...plan('chat', `chat:${group}`, `/ws/chat/${group}`, user, life),
          to,
          sendEveryMs: rand(3000, 8000),
        });
      await Promise.all([run(side(a, b)), run(side(b, a))]);
    } else {
      const user = pushUser(slot);
      const paused = slot.kind === 'paused';
      const p = plan('push', `push:${user}`, `/push/${user}`, user, paused ? Infinity : rand(5000, 30_000));
      await run(new Sub(world, { ...p, paused, abortFirst: !paused && Math.random() < 0.5 }));
      if (paused) return;
      // Away for a while: what is pushed meanwhile waits in the inbox for the next session.
      await sleep(rand(1500, 5000));
    }
  }
}

async function settle(deadline: number): Promise<void> {
  while (world.unsettled > 0 && now() < deadline) await sleep(50);
}

async function handle(cmd: SoakCommand): Promise<SoakReply> {
  switch (cmd.op) {
    case 'start':
      world.ports = cmd.ports;
      world.secret = cmd.secret;
      for (const slot of cmd.slots) loops.push(slotLoop(slot, cmd.rampMs));
      return { op: 'started' };
    case 'stop':
      world.stopping = true;
      await settle(now() + cmd.timeoutMs);
      return { op: 'stopped', unsettled: world.unsettled };
    case 'count':
      return { op: 'count', frames: world.frames, unsettled: world.unsettled };
    case 'finish': {
      world.finishing = true;
      for (const sub of live) sub.poke();
      // A slot asleep before its next occupant wakes within a few seconds and starts none.
      await Promise.all(loops);
      const busy = world.busy.map((b) => ({ ...b, end: Number.isFinite(b.end) ? b.end : now() }));
      return { op: 'report', subs: world.subs, sends: world.sends, busy, stats: world.stats };
    }
  }
}

process.on('message', (cmd: SoakCommand) => {
  handle(cmd).then(reply, (error: unknown) => {
    console.error(`soak worker ${process.pid}: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  });
});
// The coordinator is gone: nothing else will stop this process.
process.on('disconnect', () => process.exit(0));
reply({ op: 'ready' });
