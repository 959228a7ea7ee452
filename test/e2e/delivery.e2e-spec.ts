import { memoryCluster, redisCluster, type Cluster } from '../support/cluster';
import { expectConsecutive, gapText, idOf, paced, range, raws, readUntilId } from '../support/delivery';
import { expectErrorFrame, expectRefused, PATIENTS } from '../support/expectations';
import { RedisServer } from '../support/redis-server';
import { Sockets } from '../support/sockets';
import { waitFor } from '../support/wait';
import type { TestClient } from '../support/ws-client';

/**
 * CONTRACT.md, "Delivery (v2): nothing lost across reconnects", with the team's choices where the
 * contract is silent (delivery-spec.md): consecutive ids, resume with `?since=`, gap frames,
 * the push inbox, idempotent send with `cid`, and the v1 defects. Run on one memory instance and
 * on two instances sharing a real Redis, with readers and senders spread over both.
 */

/** Limits raised so that what is measured is delivery, not the tests' own pace against the limits. */
const UNLIMITED = {
  HTTP_RATE_PER_MIN: '1000000',
  WS_MAX_MESSAGES_PER_SEC: '10000',
  WS_MAX_CONNECTIONS_PER_USER: '1000',
};

/** The layer under test: clusters started on it with extra settings, all stopped by `stop`. */
interface Layer {
  start(env?: Record<string, string>): Promise<Cluster>;
  stop(): Promise<void>;
}

function layerOf(make: (env: Record<string, string>) => Promise<Cluster>, after?: () => Promise<void>): Layer {
  const started: Cluster[] = [];
  return {
    start: async (env = {}) => {
      const cluster = await make({ ...UNLIMITED, ...env });
      started.push(cluster);
      return cluster;
    },
    stop: async () => {
      await Promise.all(started.splice(0).map((cluster) => cluster.stop()));
      await after?.();
    },
  };
}

const layers: Array<[string, () => Promise<Layer>]> = [
  ['memory layer, one instance', async () => layerOf((env) => memoryCluster(env))],
  [
    'redis layer, two instances',
    async () => {
      const redis = await RedisServer.start();
      return layerOf(
        (env) => redisCluster(redis.url, env),
        () => redis.stop(),
      );
    },
  ],
];

const TS = expect.any(Number) as unknown;
const MAX_SINCE = 9007199254740991; // 2^53 - 1
const DEFAULT_HISTORY = 100;

type Kind = 'notify' | 'push' | 'room' | 'chat';
const KINDS: Kind[] = ['notify', 'push', 'room', 'chat'];

/** A group of one kind, as its readers see it. */
interface Stream {
  /** The path its readers open. */
  path: string;
  /** The user whose sockets read it. */
  reader: string;
  /** Puts the n-th numbered frame into the group, sent through instance A or B by turns. */
  send(n: number): Promise<void>;
}

let names = 0;
/** A name no other test of this file uses: valid as a user id, a chat participant and a room. */
const fresh = (prefix: string): string => `${prefix}${++names}`;

/** The canonical chat name of two non-numeric ids (string order). */
const chatName = (x: string, y: string): string => (x < y ? `${x}_${y}` : `${y}_${x}`);

describe.each(layers)('Delivery (v2) on the %s', (_name, makeLayer) => {
  let layer: Layer;
  let main: Cluster;
  let admin: string;
  const sockets = new Sockets();
  const tokens = new Map<string, string>();
  /** Every notify posted on `main`, in order: the whole history of its `chat_all_data`. */
  const notified: Array<{ data: unknown; id: number }> = [];

  beforeAll(async () => {
    layer = await makeLayer();
    main = await layer.start();
    admin = await main.a.login('root', ['admin']);
  });

  afterEach(() => sockets.closeAll());

  afterAll(async () => {
    await sockets.closeAll();
    await layer?.stop();
  });

  async function token(user: string): Promise<string> {
    let known = tokens.get(user);
    if (!known) {
      known = await main.a.login(user);
      tokens.set(user, known);
    }
    return known;
  }

  /** Opens `path` (with `?since=` when given) on instance `on` of `cluster` as `user`. */
  async function open(
    cluster: Cluster,
    on: 'a' | 'b',
    path: string,
    user: string,
    since?: number | string,
  ): Promise<TestClient> {
    const url = since === undefined ? path : `${path}?since=${since}`;
    return sockets.connect(cluster[on], url, { token: await token(user) });
  }

  async function notify(cluster: Cluster, on: 'a' | 'b', data: unknown): Promise<number> {
    const posted = await cluster[on].request('POST', `/api/notify/${PATIENTS}`, { token: admin, body: { data } });
    expect(posted).toEqual({ status: 202, body: { topic: PATIENTS, id: expect.any(Number) as unknown } });
    const { id } = posted.body as { id: number };
    if (cluster === main) notified.push({ data, id });
    return id;
  }

  async function push(cluster: Cluster, on: 'a' | 'b', user: string, event: unknown): Promise<number> {
    const posted = await cluster[on].request('POST', `/api/push/${user}`, { token: admin, body: { event } });
    expect(posted).toEqual({ status: 202, body: { username: user, id: expect.any(Number) as unknown } });
    return (posted.body as { id: number }).id;
  }

  /** A fresh group of `kind` on `cluster` (notify: the one `chat_all_data`). */
  async function stream(cluster: Cluster, kind: Kind): Promise<Stream> {
    const on = (n: number): 'a' | 'b' => (n % 2 === 0 ? 'a' : 'b');
    switch (kind) {
      case 'notify':
        return {
          path: '/socket/all',
          reader: fresh('reader'),
          send: async (n) => void (await notify(cluster, on(n), { n })),
        };
      case 'push': {
        const user = fresh('pushee');
        return {
          path: `/push/${user}`,
          reader: user,
          send: async (n) => void (await push(cluster, on(n), user, { n })),
        };
      }
      case 'room': {
        const room = fresh('room');
        const path = `/ws/room/${room}`;
        const senders = [await open(cluster, 'a', path, fresh('rsa')), await open(cluster, 'b', path, fresh('rsb'))];
        // Each sender awaits its own frame: the sends are in order, whichever instance they go through.
        return {
          path,
          reader: fresh('reader'),
          send: async (n) => {
            const sender = senders[n % 2];
            sender.send({ message: `m${n}` });
            await readUntilOwn(sender, `m${n}`);
          },
        };
      }
      case 'chat': {
        const [writer, reader] = [fresh('cw'), fresh('cr')];
        const path = `/ws/chat/${chatName(writer, reader)}`;
        const sender = await open(cluster, 'a', path, writer);
        return {
          path,
          reader,
          send: async (n) => {
            sender.send({ message: `m${n}` });
            await readUntilOwn(sender, null);
          },
        };
      }
    }
  }

  /** Reads a sender's own frames up to its ack (`message` null) or its own echo of `message`. */
  async function readUntilOwn(sender: TestClient, message: string | null): Promise<void> {
    for (let i = 0; i < 10; i += 1) {
      const frame = await sender.nextJson<{ type?: string; message?: string }>();
      if (message === null ? frame.type === 'ack' : frame.message === message) return;
    }
    throw new Error('the sender did not see its own frame');
  }

  describe('ids are consecutive within a group', () => {
    test.each(KINDS)('%s: six messages get id0+1 ... id0+6', async (kind) => {
      const s = await stream(main, kind);
      const [onA, onB] = [await open(main, 'a', s.path, s.reader), await open(main, 'b', s.path, s.reader)];
      for (let n = 0; n < 6; n += 1) await s.send(n);
      const seen = await raws(onA, 6);
      expectConsecutive(seen.map(idOf));
      expect(await raws(onB, 6)).toEqual(seen);
      await onA.expectNothingPending();
      await onB.expectNothingPending();
    });

    test('chat: both ways and to an absent peer, acks are consecutive; the absent-peer message is in history', async () => {
      const [x, y] = [fresh('cx'), fresh('cy')];
      const group = chatName(x, y);
      const path = `/ws/chat/${group}`;
      const xs = await open(main, 'a', path, x);
      let ys = await open(main, 'b', path, y);
      const acks: number[] = [];
      const say = async (client: TestClient, message: string): Promise<number> => {
        client.send({ message });
        const frames = await client.take(2);
        const ack = frames.find((f) => f.type === 'ack') as { id: number };
        expect(frames).toContainEqual({ type: 'ack', id: expect.any(Number) });
        acks.push(ack.id);
        return ack.id;
      };
      for (let n = 0; n < 4; n += 1) {
        const id = await say(n % 2 === 0 ? xs : ys, `w${n}`);
        expect(await (n % 2 === 0 ? ys : xs).nextJson()).toEqual({
          message: `w${n}`,
          from: n % 2 === 0 ? x : y,
          group,
          id,
          ts: TS,
        });
      }
      // y leaves the chat: x's message goes to y's push channel, with the chat's next id.
      const yPush = await open(main, 'a', `/push/${y}`, y);
      await ys.close();
      await waitFor(async () => (await groupCount(`chat.${group}`)) === 1, { timeoutMs: 3000, what: 'y to leave' });
      xs.send({ message: 'away' });
      const ack = await xs.nextJson<{ id: number }>();
      expect(ack).toEqual({ type: 'ack', id: expect.any(Number) });
      acks.push(ack.id);
      const pushed = await yPush.nextJson<{ event: unknown }>();
      expect(pushed).toEqual({
        event: { message: 'away', from: x, group, id: ack.id, ts: TS },
        id: expect.any(Number),
      });
      ys = await open(main, 'b', path, y);
      await say(xs, 'back');
      expect(await ys.nextJson()).toMatchObject({ message: 'back', id: acks.at(-1) });
      expectConsecutive(acks);
      // The message sent while y was away is in the chat's history, as the chat frame.
      const resumed = await open(main, 'a', path, y, acks[3]);
      expect(await resumed.take(2)).toEqual([pushed.event, { message: 'back', from: x, group, id: acks[5], ts: TS }]);
      await resumed.expectNothingPending();
    });
  });

  async function groupCount(group: string): Promise<number> {
    const got = await main.b.request('GET', `/api/groups/${group}`, { token: admin });
    return (got.body as { connections: number }).connections;
  }

  describe('resume with ?since=', () => {
    test.each(KINDS)(
      '%s: the missed frames, byte-identical to a socket that stayed open, in order, then live',
      async (kind) => {
        const s = await stream(main, kind);
        const stayed = await open(main, 'a', s.path, s.reader);
        const leaving = await open(main, 'b', s.path, s.reader);
        for (let n = 0; n < 3; n += 1) await s.send(n);
        const before = await raws(stayed, 3);
        expect(await raws(leaving, 3)).toEqual(before);
        await leaving.close();

        for (let n = 3; n < 6; n += 1) await s.send(n);
        const missed = await raws(stayed, 3);
        expectConsecutive([...before, ...missed].map(idOf));

        const back = await open(main, 'b', s.path, s.reader, idOf(before[2]));
        expect(await raws(back, 3)).toEqual(missed);
        await back.expectNothingPending();
        await s.send(6);
        const live = await stayed.next();
        expect(idOf(live)).toBe(idOf(missed[2]) + 1);
        expect(await back.next()).toBe(live);
        await back.expectNothingPending();
        await stayed.expectNothingPending();
      },
    );

    test.each(KINDS)('%s: since = the last id or 2^53-1 replays nothing; since = 0 everything', async (kind) => {
      const s = await stream(main, kind);
      const stayed = await open(main, 'a', s.path, s.reader);
      for (let n = 0; n < 4; n += 1) await s.send(n);
      const sent = await raws(stayed, 4);
      const last = idOf(sent[3]);

      for (const since of [last, MAX_SINCE]) {
        const client = await open(main, 'b', s.path, s.reader, since);
        await client.expectNothingPending();
        await client.close();
      }

      const everything = await open(main, 'b', s.path, s.reader, 0);
      if (kind === 'notify') {
        // chat_all_data is shared by this file's tests: its history is every notify posted on `main`.
        const kept = notified.slice(-DEFAULT_HISTORY);
        if (notified.length > DEFAULT_HISTORY) expect(await everything.next()).toBe(gapText(0, kept[0].id));
        const replayed = await raws(everything, kept.length);
        expect(replayed.map((raw) => JSON.parse(raw) as unknown)).toEqual(
          kept.map(({ data, id }) => ({ type: PATIENTS, data, id })),
        );
        expect(replayed.slice(-4)).toEqual(sent);
      } else {
        expect(await raws(everything, 4)).toEqual(sent);
      }
      await everything.expectNothingPending();
      // Live after the replay.
      await s.send(4);
      const live = await stayed.next();
      expect(idOf(live)).toBe(last + 1);
      expect(await everything.next()).toBe(live);
    });

    const user = 'sinceuser';
    const PATHS = ['/socket/all', `/ws/chat/${user}_zed`, `/push/${user}`, '/ws/room/since-room'];
    const INVALID: Array<[string, string]> = [
      ['negative', 'since=-1'],
      ['a fraction', 'since=1.5'],
      ['not a number', 'since=abc'],
      ['empty', 'since='],
      ['2^53', 'since=9007199254740992'],
      ['an exponent', 'since=1e3'],
      ['a plus sign', 'since=%2B1'],
      ['hexadecimal', 'since=0x10'],
      ['given twice', 'since=1&since=2'],
    ];
    test.each(PATHS.flatMap((path) => INVALID.map(([label, query]) => ({ path, label, query }))))(
      '$path: since $label is refused with 400 at the handshake',
      async ({ path, query }) => {
        await expectRefused(`${main.b.ws}${path}?${query}`, { token: await token(user) }, 400);
      },
    );

    test('/chat/socket/ ignores since', async () => {
      const echo = await open(main, 'b', '/chat/socket/', user, 'abc');
      echo.send('hi');
      expect(await echo.next()).toMatch(/^我收到了,/);
    });
  });

  describe('gap', () => {
    test.each(['push', 'room', 'chat'] as const)(
      '%s: a group with no state: since > 0 (2^53-1 included) gets a gap with first null, since = 0 nothing; then live',
      async (kind) => {
        const s = await stream(main, kind);
        const top = await open(main, 'a', s.path, s.reader, MAX_SINCE);
        expect(await top.next()).toBe(gapText(MAX_SINCE, null));
        await top.expectNothingPending();
        await top.close();
        const lost = await open(main, 'b', s.path, s.reader, 5);
        expect(await lost.next()).toBe(gapText(5, null));
        await lost.expectNothingPending();
        const zero = await open(main, 'a', s.path, s.reader, 0);
        await zero.expectNothingPending();
        await s.send(0);
        const live = await lost.next();
        expect(idOf(live)).toBeGreaterThan(5);
        expect(await zero.next()).toBe(live);
      },
    );

    describe('HISTORY_SIZE_CHAT 3', () => {
      let chats: Cluster;
      beforeAll(async () => {
        chats = await layer.start({ HISTORY_SIZE_CHAT: '3' });
      });

      test.each([
        ['chat', 3],
        ['room', 5],
      ] as const)('%s: of 5 messages, %d are kept', async (kind, kept) => {
        const s = await stream(chats, kind);
        const stayed = await open(chats, 'a', s.path, s.reader);
        for (let n = 0; n < 5; n += 1) await s.send(n);
        const sent = await raws(stayed, 5);
        const resumed = await open(chats, 'b', s.path, s.reader, idOf(sent[0]));
        if (kept < 4) expect(await resumed.next()).toBe(gapText(idOf(sent[0]), idOf(sent[5 - kept])));
        expect(await raws(resumed, Math.min(kept, 4))).toEqual(sent.slice(Math.max(1, 5 - kept)));
        await resumed.expectNothingPending();
      });
    });

    describe('HISTORY_SIZE 5', () => {
      let small: Cluster;
      beforeAll(async () => {
        small = await layer.start({ HISTORY_SIZE: '5' });
      });

      test.each(KINDS)(
        '%s: of 8 messages the last 5 are kept; a resume before them gets the gap first',
        async (kind) => {
          const s = await stream(small, kind);
          const stayed = await open(small, 'a', s.path, s.reader);
          for (let n = 0; n < 8; n += 1) await s.send(n);
          const sent = await raws(stayed, 8);
          const ids = sent.map(idOf);
          expectConsecutive(ids);
          const kept = sent.slice(3);
          const cases: Array<[number, string | null]> = [
            [ids[0], gapText(ids[0], ids[3])],
            [ids[1], gapText(ids[1], ids[3])],
            [ids[2], null], // the next one is the oldest kept: nothing is missing
            [0, gapText(0, ids[3])],
          ];
          for (const [since, gap] of cases) {
            const client = await open(small, 'b', s.path, s.reader, since);
            if (gap !== null) expect(await client.next()).toBe(gap);
            expect(await raws(client, 5)).toEqual(kept);
            await client.expectNothingPending();
            await client.close();
          }
          const later = await open(small, 'a', s.path, s.reader, ids[5]);
          expect(await raws(later, 2)).toEqual(sent.slice(6));
          await later.expectNothingPending();
        },
      );

      test.each(['chat', 'room'] as const)(
        '%s: once its message left history (5 later ones), a cid is new again',
        async (kind) => {
          const [x, y] = [fresh('tx'), fresh('ty')];
          const path = kind === 'chat' ? `/ws/chat/${chatName(x, y)}` : `/ws/room/${fresh('trim')}`;
          const xs = await open(small, 'a', path, x);
          const ys = await open(small, 'b', path, y);
          /** Sends `frame` and returns its ack's id; a new message also comes back to the sender. */
          const ack = async (frame: object, replies = 2): Promise<number> => {
            xs.send(frame);
            const own = await xs.take(replies);
            const found = own.find((f) => f.type === 'ack') as { id: number } | undefined;
            expect(found).toEqual({ type: 'ack', id: expect.any(Number) });
            return found!.id;
          };
          const original = await ack({ message: 'first', cid: 'again' });
          expect(await ack({ message: 'first', cid: 'again' }, 1)).toBe(original);
          await xs.expectNothingPending();
          for (let n = 1; n <= 5; n += 1) expect(await ack({ message: `m${n}`, cid: `other${n}` })).toBe(original + n);
          // `original` is out of history now: the same cid is a new message, delivered.
          expect(await ack({ message: 'first', cid: 'again' })).toBe(original + 6);
          const delivered = await raws(ys, 7);
          expect(delivered.map(idOf)).toEqual(range(original, original + 6));
          expect(JSON.parse(delivered[6])).toMatchObject({ message: 'first', from: x, id: original + 6 });
          await ys.expectNothingPending();
        },
      );

      test('push inbox: more offline pushes than history holds give a gap, then the 5 kept', async () => {
        const user = fresh('inboxgap');
        const tab = await open(small, 'a', `/push/${user}`, user);
        const received = await push(small, 'b', user, { n: 0 });
        expect(await tab.nextJson()).toEqual({ event: { n: 0 }, id: received });
        await tab.close();
        const ids: number[] = [];
        for (let n = 1; n <= 8; n += 1) ids.push(await push(small, n % 2 === 0 ? 'a' : 'b', user, { n }));
        expectConsecutive([received, ...ids]);
        const back = await open(small, 'b', `/push/${user}`, user);
        expect(await back.next()).toBe(gapText(received, ids[3]));
        expect(await back.take(5)).toEqual(range(4, 8).map((n) => ({ event: { n }, id: ids[n - 1] })));
        await back.expectNothingPending();
      });
    });

    describe('HISTORY_TTL_S 1', () => {
      let ttl: Cluster;
      beforeAll(async () => {
        ttl = await layer.start({ HISTORY_TTL_S: '1' });
      });

      test('room: after the TTL the group has no history: gap with first null; ids go on higher', async () => {
        const room = fresh('ttlroom');
        const path = `/ws/room/${room}`;
        const stayed = await open(ttl, 'a', path, fresh('ttlr'));
        const sender = await open(ttl, 'b', path, fresh('ttls'));
        sender.send({ message: 'one' });
        sender.send({ message: 'two' });
        const sent = await raws(stayed, 2);
        const [x, y] = sent.map(idOf) as [number, number];
        expect(y).toBe(x + 1);
        const reader = fresh('ttlp');
        // Within the TTL the history answers (a resume right after the send, well inside 1 s).
        const early = await open(ttl, 'b', path, reader, x);
        expect(await early.next()).toBe(sent[1]);
        await early.close();
        // Expiry emits no event: poll by resuming from x, bounded, until the history is gone
        // (1 s after the last message, plus the layer's expiry granularity).
        let answer = '';
        await waitFor(
          async () => {
            const probe = await open(ttl, 'a', path, reader, x);
            try {
              answer = await probe.next(1000);
            } finally {
              await probe.close();
            }
            return answer !== sent[1];
          },
          { timeoutMs: 6000, intervalMs: 100, what: 'the room history to expire' },
        );
        expect(answer).toBe(gapText(x, null));
        const atLast = await open(ttl, 'b', path, reader, y);
        expect(await atLast.next()).toBe(gapText(y, null));
        await atLast.expectNothingPending();

        sender.send({ message: 'three' });
        const third = await stayed.next();
        const z = idOf(third);
        expect(z).toBeGreaterThan(y);
        expect(await atLast.next()).toBe(third);
        const resumed = await open(ttl, 'a', path, reader, y);
        if (z > y + 1) expect(await resumed.next()).toBe(gapText(y, z));
        expect(await resumed.next()).toBe(third);
        await resumed.expectNothingPending();
      });
    });
  });

  describe('push inbox', () => {
    test('pushes replayed to a socket that resumed with since count as received: the next plain connect gets none', async () => {
      const user = fresh('sinceinbox');
      const ids: number[] = [];
      for (let n = 1; n <= 3; n += 1) ids.push(await push(main, n % 2 === 0 ? 'a' : 'b', user, { n }));
      const resumed = await open(main, 'b', `/push/${user}`, user, ids[0]);
      expect(await resumed.take(2)).toEqual([
        { event: { n: 2 }, id: ids[1] },
        { event: { n: 3 }, id: ids[2] },
      ]);
      await resumed.expectNothingPending();
      await resumed.close();
      const plain = await open(main, 'a', `/push/${user}`, user);
      await plain.expectNothingPending();
    });

    test('pushes (REST, and a chat to an absent peer) sent while the user has no socket arrive on the next connect, once', async () => {
      const [user, peer] = [fresh('inbox'), fresh('peer')];
      const group = chatName(user, peer);
      const p1 = await push(main, 'a', user, { n: 1 });
      const chat = await open(main, 'a', `/ws/chat/${group}`, peer);
      chat.send({ message: 'while you were out' });
      const ack = await chat.nextJson<{ id: number }>();
      expect(ack).toEqual({ type: 'ack', id: expect.any(Number) });
      await chat.expectNothingPending();
      const p3 = await push(main, 'b', user, { n: 3 });
      expect(p3).toBe(p1 + 2);

      const tab = await open(main, 'b', `/push/${user}`, user);
      expect(await tab.take(3)).toEqual([
        { event: { n: 1 }, id: p1 },
        { event: { message: 'while you were out', from: peer, group, id: ack.id, ts: TS }, id: p1 + 1 },
        { event: { n: 3 }, id: p3 },
      ]);
      await tab.expectNothingPending();
      // Another tab, while the first is open: they were received already.
      const tab2 = await open(main, 'a', `/push/${user}`, user);
      await tab2.expectNothingPending();
      await tab.close();
      await tab2.close();
      // A later connect, with no socket open: not again.
      const later = await open(main, 'a', `/push/${user}`, user);
      await later.expectNothingPending();
    });

    test('pushes received live are not replayed on the next connect; one sent after the close is', async () => {
      const user = fresh('live');
      const tab = await open(main, 'a', `/push/${user}`, user);
      await tab.expectNothingPending();
      const p1 = await push(main, 'a', user, 'one');
      const p2 = await push(main, 'b', user, 'two');
      expect(await tab.take(2)).toEqual([
        { event: 'one', id: p1 },
        { event: 'two', id: p2 },
      ]);
      await tab.close();
      const again = await open(main, 'b', `/push/${user}`, user);
      await again.expectNothingPending();
      await again.close();
      const p3 = await push(main, 'a', user, 'three');
      expect(p3).toBe(p2 + 1);
      const back = await open(main, 'a', `/push/${user}`, user);
      expect(await back.nextJson()).toEqual({ event: 'three', id: p3 });
      await back.expectNothingPending();
    });
  });

  describe('idempotent send (cid)', () => {
    test('chat: a resend is acked with the original id and reaches nobody; the same cid from the peer is new', async () => {
      const [x, y] = [fresh('ix'), fresh('iy')];
      const group = chatName(x, y);
      const path = `/ws/chat/${group}`;
      let xs = await open(main, 'a', path, x);
      const ys = await open(main, 'b', path, y);
      xs.send({ message: 'once', cid: 'k-1' });
      const frames = await xs.take(2);
      const { id } = frames.find((f) => f.type === 'ack') as { id: number };
      const message = { message: 'once', from: x, group, id, ts: TS };
      expect(frames).toContainEqual({ type: 'ack', id });
      expect(frames).toContainEqual(message);
      expect(await ys.nextJson()).toEqual(message);

      xs.send({ message: 'once', cid: 'k-1' });
      expect(await xs.nextJson()).toEqual({ type: 'ack', id });
      await xs.expectNothingPending();
      await ys.expectNothingPending();

      // After a reconnect, through the other instance: still the original.
      await xs.close();
      xs = await open(main, 'b', path, x);
      xs.send({ message: 'once', cid: 'k-1' });
      expect(await xs.nextJson()).toEqual({ type: 'ack', id });
      await xs.expectNothingPending();
      await ys.expectNothingPending();

      // The same cid from the other participant is another message.
      ys.send({ message: 'mine', cid: 'k-1' });
      const reply = await ys.take(2);
      const mine = { message: 'mine', from: y, group, id: id + 1, ts: TS };
      expect(reply).toContainEqual({ type: 'ack', id: id + 1 });
      expect(reply).toContainEqual(mine);
      expect(await xs.nextJson()).toEqual(mine);
      await xs.expectNothingPending();
      await ys.expectNothingPending();
    });

    test('chat: a resend to an absent peer makes no second push', async () => {
      const [x, y] = [fresh('ax'), fresh('ay')];
      const group = chatName(x, y);
      const yPush = await open(main, 'b', `/push/${y}`, y);
      const xs = await open(main, 'a', `/ws/chat/${group}`, x);
      xs.send({ message: 'there?', cid: 'c' });
      const ack = await xs.nextJson<{ id: number }>();
      expect(ack).toEqual({ type: 'ack', id: expect.any(Number) });
      expect(await yPush.nextJson()).toEqual({
        event: { message: 'there?', from: x, group, id: ack.id, ts: TS },
        id: expect.any(Number),
      });
      xs.send({ message: 'there?', cid: 'c' });
      expect(await xs.nextJson()).toEqual(ack);
      await xs.expectNothingPending();
      await yPush.expectNothingPending();
    });

    test('room: a frame with a cid is acked; its resend is acked with the original id and reaches nobody; another user`s same cid is new', async () => {
      const room = fresh('idem');
      const path = `/ws/room/${room}`;
      const [u, v] = [fresh('ru'), fresh('rv')];
      const us = await open(main, 'a', path, u);
      const vs = await open(main, 'b', path, v);
      const cid = 'x'.repeat(64);
      us.send({ message: 'hi', cid });
      const frames = await us.take(2);
      const { id } = frames.find((f) => f.type === 'ack') as { id: number };
      const message = { message: 'hi', from: u, room, id, ts: TS };
      expect(frames).toContainEqual({ type: 'ack', id });
      expect(frames).toContainEqual(message);
      expect(await vs.nextJson()).toEqual(message);

      us.send({ message: 'hi', cid });
      expect(await us.nextJson()).toEqual({ type: 'ack', id });
      await us.expectNothingPending();
      await vs.expectNothingPending();

      vs.send({ message: 'hi', cid });
      const reply = await vs.take(2);
      const theirs = { message: 'hi', from: v, room, id: id + 1, ts: TS };
      expect(reply).toContainEqual({ type: 'ack', id: id + 1 });
      expect(reply).toContainEqual(theirs);
      expect(await us.nextJson()).toEqual(theirs);

      // Without a cid a room frame is not acked (v1).
      us.send({ message: 'plain' });
      expect(await us.nextJson()).toEqual({ message: 'plain', from: u, room, id: id + 2, ts: TS });
      await us.expectNothingPending();
      expect(await vs.nextJson()).toEqual({ message: 'plain', from: u, room, id: id + 2, ts: TS });
      await vs.expectNothingPending();
    });

    test('a cid belongs to its group: the same user`s cid in another room is another message', async () => {
      const u = fresh('scope');
      const [r1, r2] = [fresh('scoperoom'), fresh('scoperoom')];
      const one = await open(main, 'a', `/ws/room/${r1}`, u);
      const two = await open(main, 'b', `/ws/room/${r2}`, u);
      one.send({ message: 'same', cid: 'shared' });
      two.send({ message: 'same', cid: 'shared' });
      for (const [client, room] of [
        [one, r1],
        [two, r2],
      ] as const) {
        const frames = await client.take(2);
        const { id } = frames.find((f) => f.type === 'ack') as { id: number };
        expect(frames).toContainEqual({ message: 'same', from: u, room, id, ts: TS });
        await client.expectNothingPending();
      }
    });

    const BAD_CIDS: Array<[string, unknown]> = [
      ['65 characters', 'c'.repeat(65)],
      ['empty', ''],
      ['a number', 5],
      ['an array', ['c']],
    ];
    test.each((['chat', 'room'] as const).flatMap((kind) => BAD_CIDS.map(([label, cid]) => ({ kind, label, cid }))))(
      '$kind: a cid that is $label → error 400 naming cid, nothing delivered',
      async ({ kind, cid }) => {
        const [x, y] = [fresh('bx'), fresh('by')];
        const path = kind === 'chat' ? `/ws/chat/${chatName(x, y)}` : `/ws/room/${fresh('badcid')}`;
        const xs = await open(main, 'a', path, x);
        const ys = await open(main, 'b', path, y);
        xs.send({ message: 'm', cid });
        await expectErrorFrame(xs, 400, 'cid');
        await ys.expectNothingPending();
      },
    );
  });

  test('race: 50 sockets resume while a room keeps flowing; each gets since+1 .. last, no gap, duplicate or hole', async () => {
    const TOTAL = 200;
    const RESUMERS = 50;
    const room = fresh('race');
    const path = `/ws/room/${room}`;
    const watcher = await open(main, 'a', path, fresh('watch'));
    const seen: string[] = [];
    watcher.socket.on('message', (data) => seen.push((data as Buffer).toString()));
    const senders = [await open(main, 'a', path, fresh('sa')), await open(main, 'b', path, fresh('sb'))];
    const users = Array.from({ length: RESUMERS }, () => fresh('res'));
    for (const user of users) await token(user);

    // 100 messages a second, from two senders on both instances, for 2 s.
    const sending = paced(async (i) => senders[i % 2].send({ message: `r${i}` }), { intervalMs: 10, max: TOTAL });
    await waitFor(() => seen.length >= 10, { timeoutMs: 5000, what: 'the first 10 messages' });
    const resumers: Array<{ client: TestClient; since: number }> = [];
    // One resume every 25 ms (1.25 s in all, inside the stream), since a few messages back.
    await paced(
      async (i) => {
        const since = idOf(seen[seen.length - 1 - (i % 7)]);
        const client = await open(main, i % 2 === 0 ? 'b' : 'a', path, users[i], since);
        resumers.push({ client, since });
      },
      { intervalMs: 25, max: RESUMERS },
    );
    await sending;
    const flow = await raws(watcher, TOTAL);
    expect(flow).toEqual(seen.slice(0, TOTAL));
    await watcher.expectNothingPending();
    const ids = flow.map(idOf);
    expectConsecutive(ids);
    const last = ids[TOTAL - 1];
    const byId = new Map(flow.map((raw) => [idOf(raw), raw]));

    expect(resumers).toHaveLength(RESUMERS);
    for (const { client, since } of resumers) {
      const got = await readUntilId(client, last, TOTAL + 1);
      const label = (raw: string): number | string => (JSON.parse(raw) as { id?: number }).id ?? raw;
      expect({ since, got: got.map(label) }).toEqual({ since, got: range(since + 1, last) });
      expect(got).toEqual(range(since + 1, last).map((id) => byId.get(id)));
      await client.expectNothingPending();
    }
  }, 60_000);

  describe('v1 defects', () => {
    test.each([
      ['two 64-character ids', 'a'.repeat(64), 'b'.repeat(64)],
      ['two 1-character ids', 'p', 'q'],
      ['a 1- and a 64-character id', 'z', 'Y'.repeat(64)],
    ])('chat between %s works both ways', async (_label, x, y) => {
      const group = chatName(x, y);
      const xs = await open(main, 'a', `/ws/chat/${x}_${y}`, x);
      const ys = await open(main, 'b', `/ws/chat/${y}_${x}`, y);
      xs.send({ message: 'to y' });
      const frames = await xs.take(2);
      const { id } = frames.find((f) => f.type === 'ack') as { id: number };
      expect(await ys.nextJson()).toEqual({ message: 'to y', from: x, group, id, ts: TS });
      ys.send({ message: 'to x' });
      expect(await xs.nextJson()).toEqual({ message: 'to x', from: y, group, id: id + 1, ts: TS });
      expect(await ys.take(2)).toContainEqual({ type: 'ack', id: id + 1 });
    });

    test('chat between two 64-character ids keeps a history to resume from', async () => {
      const [x, y] = ['c'.repeat(64), 'd'.repeat(64)];
      const group = chatName(x, y);
      const xs = await open(main, 'a', `/ws/chat/${group}`, x);
      const ys = await open(main, 'b', `/ws/chat/${group}`, y);
      xs.send({ message: 'one' });
      xs.send({ message: 'two' });
      const sent = await raws(ys, 2);
      const resumed = await open(main, 'a', `/ws/chat/${group}`, y, idOf(sent[0]));
      expect(await resumed.next()).toBe(sent[1]);
      await resumed.expectNothingPending();
    });

    const WRAPPER = '{"message":""}'.length;
    const MAX_MESSAGE = 65536 - WRAPPER;

    test('room: a message that fills WS_MAX_PAYLOAD (65536) is accepted and delivered', async () => {
      const room = fresh('bigroom');
      const [u, v] = [fresh('bu'), fresh('bv')];
      const us = await open(main, 'a', `/ws/room/${room}`, u);
      const vs = await open(main, 'b', `/ws/room/${room}`, v);
      const text = 'm'.repeat(MAX_MESSAGE);
      const frame = JSON.stringify({ message: text });
      expect(Buffer.byteLength(frame)).toBe(65536);
      us.send(frame);
      const delivered = { message: text, from: u, room, id: expect.any(Number), ts: TS };
      expect(await us.nextJson()).toEqual(delivered);
      expect(await vs.nextJson()).toEqual(delivered);
    });

    test('chat: a message that fills WS_MAX_PAYLOAD (65536) is accepted and delivered', async () => {
      const [x, y] = [fresh('bx'), fresh('by')];
      const group = chatName(x, y);
      const xs = await open(main, 'a', `/ws/chat/${group}`, x);
      const ys = await open(main, 'b', `/ws/chat/${group}`, y);
      const text = 'm'.repeat(MAX_MESSAGE);
      xs.send(JSON.stringify({ message: text }));
      const own = await xs.take(2);
      const { id } = own.find((f) => f.type === 'ack') as { id: number };
      const delivered = { message: text, from: x, group, id, ts: TS };
      expect(own).toContainEqual({ type: 'ack', id });
      expect(own).toContainEqual(delivered);
      expect(await ys.nextJson()).toEqual(delivered);
    });

    describe('MESSAGE_MAX_CHARS 10', () => {
      let capped: Cluster;
      beforeAll(async () => {
        capped = await layer.start({ MESSAGE_MAX_CHARS: '10' });
      });

      test.each(['chat', 'room'] as const)(
        '%s: 11 characters → error 400 naming message; 10 (of 3 UTF-8 bytes each) are delivered',
        async (kind) => {
          const [x, y] = [fresh('mx'), fresh('my')];
          const path = kind === 'chat' ? `/ws/chat/${chatName(x, y)}` : `/ws/room/${fresh('caproom')}`;
          const xs = await open(capped, 'a', path, x);
          const ys = await open(capped, 'b', path, y);
          xs.send({ message: '我'.repeat(11) });
          await expectErrorFrame(xs, 400, 'message');
          await ys.expectNothingPending();
          xs.send({ message: '我'.repeat(10) });
          expect(await ys.nextJson()).toMatchObject({ message: '我'.repeat(10), from: x });
        },
      );
    });
  });
});
