import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { ChildInstance } from '../support/child-instance';
import { PATIENTS } from '../support/expectations';
import { Instance } from '../support/instance';
import { RedisServer } from '../support/redis-server';
import { TestClient } from '../support/ws-client';

type Pattern = 'notify' | 'push';
const PATTERNS: Pattern[] = ['notify', 'push'];
type Frame = { id: number } & Record<string, unknown>;

/** Per pattern: the socket that receives it, the payload a backend emits, and what arrives. */
const KINDS = {
  notify: {
    user: 'alice',
    path: '/socket/all',
    payload: (content: unknown) => ({ topic: PATIENTS, data: content }),
    content: (frame: Frame) => frame.data,
  },
  push: {
    user: 'bob',
    path: '/push/bob',
    payload: (content: unknown) => ({ username: 'bob', event: content }),
    content: (frame: Frame) => frame.event,
  },
} as const;

/**
 * One socket of a numbered group. Ids in a group are consecutive, so every frame it takes must
 * carry the previous one's id + 1: a duplicate sent to the group while the socket is open shows
 * up either as an extra frame or as a gap, in this test or in a later one.
 */
class Watched {
  lastId: number | undefined;

  constructor(
    readonly name: string,
    readonly socket: TestClient,
  ) {}

  async take(count: number): Promise<Frame[]> {
    const frames = await this.socket.take<Frame>(count);
    for (const frame of frames) {
      const expected = this.lastId === undefined ? frame.id : this.lastId + 1;
      expect({ socket: this.name, id: frame.id }).toEqual({ socket: this.name, id: expected });
      this.lastId = frame.id;
    }
    return frames;
  }
}

const sorted = (contents: unknown[]): string[] => contents.map((content) => JSON.stringify(content)).sort();

/**
 * The contract's last word on the transport: "An event emitted once is delivered once, however
 * many instances run." Every instance's Nest Redis server receives every emitted event.
 */
describe('microservice events on several instances: each delivered once', () => {
  let redis: RedisServer;
  let client: ClientProxy;
  let env: Record<string, string>;
  const instances = new Map<string, Instance>();
  const watched = new Map<string, Record<Pattern, Watched>>();
  const children: Promise<ChildInstance>[] = [];

  async function startInstance(name: string): Promise<void> {
    instances.set(name, await Instance.start(env));
  }

  /** A socket per pattern on the instance at `host`, as that pattern's user (tokens from `a`). */
  async function watch(name: string, host: { ws: string }): Promise<void> {
    const open = async (pattern: Pattern): Promise<Watched> => {
      const kind = KINDS[pattern];
      const token = await instances.get('a')!.login(kind.user);
      const socket = await TestClient.open(host.ws + kind.path, { token });
      return new Watched(`${name}${kind.path}`, socket);
    };
    watched.set(name, { notify: await open('notify'), push: await open('push') });
  }

  async function unwatch(name: string): Promise<void> {
    const byPattern = watched.get(name);
    watched.delete(name);
    if (byPattern) await Promise.all(PATTERNS.map((pattern) => byPattern[pattern].socket.close()));
  }

  const sockets = (pattern: Pattern): Watched[] => [...watched.values()].map((byPattern) => byPattern[pattern]);

  /** Resolves once Redis has taken the event (the standard ClientProxy's publish). */
  async function emit(pattern: Pattern, content: unknown): Promise<void> {
    await lastValueFrom(client.emit(pattern, KINDS[pattern].payload(content)), { defaultValue: undefined });
  }

  /** Asserts every watched socket got exactly `contents` (in any order), and nothing more. */
  async function expectEach(pattern: Pattern, contents: unknown[], among = sockets(pattern)): Promise<void> {
    for (const socket of among) {
      const frames = await socket.take(contents.length);
      expect({ socket: socket.name, got: sorted(frames.map(KINDS[pattern].content)) }).toEqual({
        socket: socket.name,
        got: sorted(contents),
      });
    }
    await Promise.all(among.map((socket) => socket.socket.expectNothingPending()));
  }

  async function deliverOnce(pattern: Pattern, contents: unknown[]): Promise<void> {
    await Promise.all(contents.map((content) => emit(pattern, content)));
    await expectEach(pattern, contents);
    expect(new Set(sockets(pattern).map((socket) => socket.lastId)).size).toBe(1);
  }

  /**
   * Emits rounds of three events (two identical, one not) while `action` runs and for three
   * rounds after, each round once `pacer` has received the previous one. Then every socket
   * (the pacer included) must have received each event once.
   */
  async function flowDuring(pattern: Pattern, action: Promise<unknown>, pacer: Watched): Promise<void> {
    let done = false;
    const finished = action.finally(() => (done = true));
    const sent: unknown[] = [];
    const paced: Frame[] = [];
    for (let round = 0, after = 0; after < 3; round += 1) {
      if (done) after += 1;
      const batch = [{ round, twin: true }, { round, twin: true }, { round }];
      await Promise.all(batch.map((content) => emit(pattern, content)));
      sent.push(...batch);
      paced.push(...(await pacer.take(batch.length)));
    }
    await finished;
    expect(sorted(paced.map(KINDS[pattern].content))).toEqual(sorted(sent));
    await expectEach(
      pattern,
      sent,
      sockets(pattern).filter((socket) => socket !== pacer),
    );
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    env = { REDIS_URL: redis.url, REDIS_PREFIX: 'once:' };
    for (const name of ['a', 'b', 'c']) await startInstance(name);
    for (const name of ['a', 'b', 'c']) await watch(name, instances.get(name)!);
    client = ClientProxyFactory.create({
      transport: Transport.REDIS,
      options: { host: '127.0.0.1', port: redis.port },
    });
    await client.connect();
  });

  afterAll(async () => {
    await Promise.all([...watched.keys()].map(unwatch));
    await client?.close();
    await Promise.all([...instances.values()].map((instance) => instance.stop()));
    await Promise.all(children.map(async (child) => (await child.catch(() => undefined))?.stop()));
    await redis?.stop();
  });

  test.each(PATTERNS)("one emit('%s') reaches each socket on three instances once", async (pattern) => {
    await deliverOnce(pattern, [{ single: pattern }]);
  });

  test.each(PATTERNS)("two identical emit('%s') are delivered twice, with consecutive ids", async (pattern) => {
    await deliverOnce(pattern, [{ twin: pattern }, { twin: pattern }]);
  });

  test.each(PATTERNS)("a burst of 30 emit('%s'), ten of each of three payloads: each once", async (pattern) => {
    await deliverOnce(
      pattern,
      Array.from({ length: 30 }, (_, i) => ({ burst: i % 3 })),
    );
  });

  // In a process of its own, so events keep flowing through its whole start and stop: an
  // in-process start blocks the test's event loop, and with it the emitter.
  test('an instance started while events flow causes no duplicate, and then delivers its share', async () => {
    const starting = ChildInstance.start(env);
    children.push(starting);
    await flowDuring('notify', starting, watched.get('a')!.notify);
    await watch('d', await starting);
    for (const pattern of PATTERNS) await deliverOnce(pattern, [{ after: 'd' }, { after: 'd' }, { other: 'd' }]);
  });

  test('an instance stopped (SIGTERM: app.close) while events flow: the others deliver every event once', async () => {
    await unwatch('d');
    await flowDuring('push', (await children[0]).stop(), watched.get('a')!.push);
    for (const pattern of PATTERNS) await deliverOnce(pattern, [{ after: 'stop d' }, { after: 'stop d' }]);
  });

  test('an in-process instance closed while events flow: the others deliver every event once', async () => {
    await unwatch('b');
    const b = instances.get('b')!;
    instances.delete('b');
    await flowDuring('notify', b.stop(), watched.get('a')!.notify);
    for (const pattern of PATTERNS) await deliverOnce(pattern, [{ after: 'stop b' }, { after: 'stop b' }]);
  });

  test('an instance killed with SIGKILL between events: the others deliver every event once', async () => {
    const starting = ChildInstance.start(env);
    children.push(starting);
    const victim = await starting;
    await watch('victim', victim);
    for (const pattern of PATTERNS) await deliverOnce(pattern, [{ before: 'kill' }, { before: 'kill' }]);
    await victim.kill();
    watched.delete('victim');
    for (const pattern of PATTERNS) await deliverOnce(pattern, [{ after: 'kill' }, { after: 'kill' }]);
  });
});
