import 'reflect-metadata';
import fc from 'fast-check';
import WebSocket from 'ws';
import { signToken } from '../support/tokens';
import { withTimeout } from '../support/wait';
import {
  badSub,
  depthOf,
  forgedToken,
  FORGERIES,
  FUZZ,
  Harness,
  hostileJson,
  hostileName,
  MAX_DEPTH,
  nestedAround,
  ROOM,
  TOO_DEEP,
  TOPICS,
  USER_ID,
} from './hostile';

/**
 * Hostile WebSocket input, property-based, against an instance on a real redis-server: random
 * and deeply nested frames with `__proto__`/`constructor` keys, frames around the payload limit,
 * invalid UTF-8, binary frames; hostile room, chat and user names in handshake paths; forged
 * tokens on all five endpoints. Each input gets the contract's answer (an error frame, a close
 * code or a refusal status), and the server, the bystanders and Redis are unharmed.
 */
const MAX_PAYLOAD = 16 * 1024;
const CHAT_ID = /^[A-Za-z0-9-]{1,64}$/;
const ENDPOINTS = ['/socket/all', '/ws/room/:room', '/ws/chat/:chat', '/push/:user', '/chat/socket/'] as const;
type Endpoint = (typeof ENDPOINTS)[number];

/** What the server must answer: a frame (checked by `check`), or a close code. */
type Answer = { close: number } | { frames: number; check: (frames: string[]) => void };

type Frame = { text: string } | { bytes: Buffer; binary: boolean };

const own = (value: Record<string, unknown>, key: string): unknown =>
  Object.hasOwn(value, key) ? value[key] : undefined;
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
/** class-validator's length: surrogate pairs count once. */
const chars = (text: string): number => [...text].length;
const validCid = (cid: unknown): boolean =>
  cid === undefined || (typeof cid === 'string' && chars(cid) >= 1 && chars(cid) <= 64);
const errorFrame = (code: number, msg?: RegExp) => (frames: string[]) => {
  expect(JSON.parse(frames[0] ?? '')).toEqual({ type: 'error', code, msg: expect.any(String) });
  if (msg) expect(frames[0]).toMatch(msg);
};

/** The contract's answer to `frame` on `endpoint`, for a socket of `me` (chat: with `peer`, who is not there). */
function expected(endpoint: Endpoint, frame: Frame, me: string, peer: string): Answer {
  const bytes = 'text' in frame ? Buffer.from(frame.text) : frame.bytes;
  if (bytes.length > MAX_PAYLOAD) return { close: 1009 };
  if ('bytes' in frame && frame.binary) return { frames: 1, check: errorFrame(400, /binary/) };
  if ('bytes' in frame) return { close: 1007 };
  const text = frame.text;
  if (text === 'ping') return { frames: 1, check: (f) => expect(f).toEqual(['pong']) };
  if (endpoint === '/chat/socket/') {
    return text === 'close' ? { close: 1000 } : { frames: 1, check: (f) => expect(f[0]).toMatch(/^我收到了,/) };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { frames: 1, check: errorFrame(400) };
  }
  if (depthOf(value) > MAX_DEPTH) return { frames: 1, check: errorFrame(400, TOO_DEEP) };
  if (!isObject(value) || endpoint === '/push/:user') return { frames: 1, check: errorFrame(400) };
  if (endpoint === '/socket/all') {
    const type = own(value, 'type');
    if (typeof type !== 'string') return { frames: 1, check: errorFrame(400, /type/) };
    if (!TOPICS.includes(type)) return { frames: 1, check: errorFrame(404) };
    return { frames: 1, check: (f) => expect(JSON.parse(f[0] ?? '')).toEqual({ type, data: null }) };
  }
  const [message, cid, toUser] = [own(value, 'message'), own(value, 'cid'), own(value, 'to_user')];
  const toUserOk = endpoint !== '/ws/chat/:chat' || toUser === undefined || toUser === peer;
  if (typeof message !== 'string' || !validCid(cid) || !toUserOk) return { frames: 1, check: errorFrame(400) };
  const ack = { type: 'ack', id: expect.any(Number) };
  // The peer is absent: a chat message goes to their push inbox, the sender gets the ack only.
  if (endpoint === '/ws/chat/:chat') return { frames: 1, check: (f) => expect(JSON.parse(f[0] ?? '')).toEqual(ack) };
  const copy = { message, from: me, room: expect.any(String), id: expect.any(Number), ts: expect.any(Number) };
  const wanted = cid === undefined ? [copy] : [copy, ack];
  return {
    frames: wanted.length,
    check: (f) => expect(f.map((t) => JSON.parse(t) as unknown)).toEqual(expect.arrayContaining(wanted)),
  };
}

/** Frames: hostile JSON, the endpoint's own fields with hostile values, deep nesting, sizes around the limit, bad UTF-8. */
const fieldValue = fc.oneof(
  hostileJson,
  hostileName.map((name) => JSON.stringify(name)),
  fc.constant('null'),
);
const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  { arbitrary: hostileJson.map((text) => ({ text })), weight: 2 },
  {
    arbitrary: fc
      .array(fc.tuple(fc.constantFrom('message', 'cid', 'to_user', 'type', '__proto__', 'constructor'), fieldValue), {
        maxLength: 4,
      })
      .map((pairs) => ({ text: `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}` })),
    weight: 4,
  },
  { arbitrary: nestedAround.map((inner) => ({ text: `{"message":"m","type":"t","x":${inner}}` })), weight: 2 },
  {
    arbitrary: fc
      .integer({ min: MAX_PAYLOAD - 20, max: MAX_PAYLOAD + 20 })
      .map((n) => ({ text: `{"message":"${'m'.repeat(n - 14)}"}` })),
    weight: 1,
  },
  { arbitrary: fc.constantFrom({ text: 'ping' }, { text: 'close' }, { text: 'not json' }, { text: '' }), weight: 1 },
  {
    arbitrary: fc
      .uint8Array({ minLength: 1, maxLength: 40 })
      .map((b) => ({ bytes: Buffer.concat([Buffer.from(b), Buffer.from([0xff])]), binary: false })),
    weight: 1,
  },
  { arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => ({ bytes: Buffer.from(b), binary: true })), weight: 1 },
);

interface Opened {
  socket: WebSocket;
  frames: string[];
  closed: Promise<number>;
}

/** Opens `url`: the socket once open, or the refusal's status. */
function open(url: string, headers: Record<string, string> = {}): Promise<Opened | number> {
  const socket = new WebSocket(url, { headers });
  const frames: string[] = [];
  socket.on('message', (data) => frames.push((data as Buffer).toString()));
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  socket.on('error', () => undefined);
  const opened = new Promise<Opened | number>((resolve, reject) => {
    socket.once('open', () => resolve({ socket, frames, closed }));
    socket.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    socket.once('error', reject);
  });
  return withTimeout(opened, 10_000, `a handshake on ${url}`);
}

describe('hostile WebSocket input (property-based)', () => {
  let h: Harness;
  let run = 0;

  beforeAll(async () => {
    h = await Harness.start({ WS_MAX_PAYLOAD: String(MAX_PAYLOAD) });
  });

  afterAll(async () => {
    await h?.stop();
  });

  /** The path of `endpoint` for this run's users: fresh ones each run, so no cid or inbox carries over. */
  function pathOf(endpoint: Endpoint, me: string, peer: string): string {
    return endpoint.replace(':room', `r${run}`).replace(':chat', `${me}_${peer}`).replace(':user', me);
  }

  test(`random, deep, oversized and invalid frames on all five endpoints (seed ${FUZZ.seed})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS), frameArb, async (endpoint, frame) => {
        run += 1;
        const [me, peer] = [`fz${run}a`, `fz${run}b`];
        const url = `${h.server.ws}${pathOf(endpoint, me, peer)}?token=${signToken({ sub: me })}`;
        const client = await open(url);
        if (typeof client === 'number') throw new Error(`handshake refused with ${client}`);
        const answer = expected(endpoint, frame, me, peer);
        if ('text' in frame) client.socket.send(frame.text);
        else client.socket.send(frame.bytes, { binary: frame.binary });
        if ('close' in answer) {
          expect(await withTimeout(client.closed, 10_000, 'the close')).toBe(answer.close);
        } else {
          const { frames, check } = answer;
          const enough = async (): Promise<void> => {
            while (client.frames.length < frames) await new Promise((resolve) => setTimeout(resolve, 5));
          };
          await withTimeout(enough(), 10_000, `${frames} frame(s) answering ${JSON.stringify(frame).slice(0, 200)}`);
          check(client.frames);
          client.socket.close();
          await withTimeout(client.closed, 10_000, 'the close');
        }
        await h.checkInvariants();
      }),
      FUZZ,
    );
  });

  test(`hostile room, chat and user names in handshake paths (seed ${FUZZ.seed})`, async () => {
    const input = fc.tuple(fc.constantFrom('room', 'push', 'chat'), hostileName, hostileName, fc.boolean());
    await fc.assert(
      fc.asyncProperty(input, async ([kind, a, b, mine]) => {
        const me = mine && USER_ID.test(a) ? a : 'someone';
        let path: string;
        let status: number;
        if (kind === 'room') {
          [path, status] = [`/ws/room/${encodeURIComponent(a)}`, ROOM.test(a) ? 101 : 400];
        } else if (kind === 'push') {
          [path, status] = [`/push/${encodeURIComponent(a)}`, !USER_ID.test(a) ? 400 : a === me ? 101 : 403];
        } else {
          const name = `${a}_${b}`;
          const parts = name.split('_');
          const valid = parts.length === 2 && parts.every((p) => CHAT_ID.test(p)) && parts[0] !== parts[1];
          [path, status] = [`/ws/chat/${encodeURIComponent(name)}`, !valid ? 400 : parts.includes(me) ? 101 : 403];
        }
        const client = await open(`${h.server.ws}${path}`, { authorization: `Bearer ${signToken({ sub: me })}` });
        expect({ path, status: typeof client === 'number' ? client : 101 }).toEqual({ path, status });
        if (typeof client !== 'number') {
          client.socket.close();
          await withTimeout(client.closed, 10_000, 'the close');
        }
        await h.checkInvariants();
      }),
      FUZZ,
    );
  });

  test(`forged tokens on every endpoint, in every place a token goes (seed ${FUZZ.seed})`, async () => {
    const input = fc.tuple(
      fc.constantFrom(...ENDPOINTS),
      fc.constantFrom(...FORGERIES, 'huge' as const),
      fc.constantFrom('query', 'header', 'bearer'),
      badSub,
    );
    await fc.assert(
      fc.asyncProperty(input, async ([endpoint, kind, via, sub]) => {
        const me = 'forgedme';
        const token = kind === 'huge' ? 'h'.repeat(100 * 1024) : forgedToken(kind, me, sub);
        const headers: Record<string, string> = {};
        if (via === 'header') headers.token = token;
        if (via === 'bearer') headers.authorization = `Bearer ${token}`;
        const query = via === 'query' ? `?token=${encodeURIComponent(token)}` : '';
        const client = await open(`${h.server.ws}${pathOf(endpoint, me, 'peer')}${query}`, headers);
        const status = typeof client === 'number' ? client : 101;
        expect({ endpoint, kind, via, status }).toEqual({ endpoint, kind, via, status: kind === 'huge' ? 431 : 401 });
        if (typeof client !== 'number') client.socket.terminate();
        await h.checkInvariants();
      }),
      FUZZ,
    );
  });
});
