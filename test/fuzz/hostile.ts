import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { Instance } from '../support/instance';
import { RedisServer } from '../support/redis-server';
import { Sockets } from '../support/sockets';
import { epochSeconds, OTHER_SECRET, signToken, TEST_SECRET, unsignedToken, type Claims } from '../support/tokens';
import type { TestClient } from '../support/ws-client';

/**
 * What the hostile-input property suites share: the generators of hostile input, the contract's
 * rules restated (not imported: the suites check the code against them), and the invariants that
 * must hold after every input.
 */

/** `FUZZ_SEED` / `FUZZ_RUNS` reproduce or lengthen a run; the defaults keep each suite well under a minute. */
export const FUZZ = {
  seed: Number(process.env.FUZZ_SEED ?? 20261205),
  numRuns: Number(process.env.FUZZ_RUNS ?? 40),
};

const PREFIX = 'fz:';

/** The suites send far more than the rate limits allow a real client: those have suites of their own. */
const FUZZ_ENV = {
  JWT_SECRET: TEST_SECRET,
  REDIS_PREFIX: PREFIX,
  HTTP_RATE_PER_MIN: '1000000',
  WS_MAX_MESSAGES_PER_SEC: '1000000',
  WS_MAX_CONNECTIONS_PER_USER: '1000000',
};

export const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const ROOM = /^[A-Za-z0-9_-]{1,64}$/;
export const GROUP = /^[A-Za-z0-9_.-]{1,160}$/;
export const TOPICS = ['all_patient_page_data', 'all_active_visit_data'];
export const MAX_DEPTH = 64;
export const TOO_DEEP = /nest deeper than 64/;

/** Characters that must never reach a Redis key or pattern, and others a name may not hold. */
const HOSTILE_CHARS = [
  '*',
  '?',
  '[',
  ']',
  ':',
  '\0',
  '\n',
  '\r',
  '\t',
  '\x7f',
  ' ',
  '/',
  '\\',
  '%',
  '"',
  '{',
  'é',
  '😀',
];

/** Names: mostly valid characters, often one or more hostile ones; never `.`/`..` (URL path segments). */
export const hostileName = fc
  .array(fc.oneof(fc.constantFrom(...'aZ09_-.'), fc.constantFrom(...HOSTILE_CHARS)), { minLength: 1, maxLength: 70 })
  .map((chars) => chars.join(''))
  .filter((name) => name !== '.' && name !== '..');

const DANGEROUS_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

/** A JSON text built by hand, so keys like `__proto__` are kept as keys and duplicates are possible. */
export const hostileJson: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.stringify(v)),
    fc.string({ unit: 'binary', maxLength: 20 }).map((s) => JSON.stringify(s)),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
    fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...DANGEROUS_KEYS), fc.string({ maxLength: 6 })), tie('value')), {
        maxLength: 4,
      })
      .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  ),
})).value;

/** `inner` wrapped in `depth` arrays: 60–70 straddles the limit, 1,500 is the reported crash. */
export const nestedAround = fc
  .tuple(fc.oneof(fc.integer({ min: 60, max: 70 }), fc.constant(1500)), hostileJson)
  .map(([depth, inner]) => '['.repeat(depth) + inner + ']'.repeat(depth));

export function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? (value as unknown[]) : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

/** How a forged token is wrong; each must be refused with 401 wherever a token is checked. */
export const FORGERIES = [
  'alg none',
  'HS512',
  'RS256 header',
  'wrong secret',
  'expired',
  'not yet valid',
  'no sub',
  'numeric sub',
  'bad sub',
  'garbage',
] as const;
export type Forgery = (typeof FORGERIES)[number];

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token forged the given way, for a user who would otherwise be allowed (admin, the right id). */
export function forgedToken(kind: Forgery, sub: string, badSub: string): string {
  const claims: Claims = { sub, roles: ['admin'] };
  switch (kind) {
    case 'alg none':
      return unsignedToken(claims);
    case 'HS512':
      return signToken(claims, TEST_SECRET, 'HS512');
    case 'RS256 header': {
      // Algorithm confusion: an RS256 header over an HMAC made with the shared secret.
      const body = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}`;
      return `${body}.${createHmac('sha256', TEST_SECRET).update(body).digest('base64url')}`;
    }
    case 'wrong secret':
      return signToken(claims, OTHER_SECRET);
    case 'expired':
      return signToken({ ...claims, exp: epochSeconds(-5) });
    case 'not yet valid':
      return signToken({ ...claims, nbf: epochSeconds(600) });
    case 'no sub':
      return signToken({ roles: ['admin'] });
    case 'numeric sub':
      return signToken({ sub: 7, roles: ['admin'] });
    case 'bad sub':
      return signToken({ sub: badSub, roles: ['admin'] });
    case 'garbage':
      // What an HTTP header can carry: bytes, no control characters.
      return [...Buffer.from(`${badSub}.${badSub}`)]
        .filter((byte) => byte > 0x20 && byte !== 0x7f)
        .map((byte) => String.fromCharCode(byte))
        .join('');
  }
}

/** Sub values a token may not carry (not a user id). */
export const badSub = hostileName.filter((name) => !USER_ID.test(name));

/**
 * A real redis-server, an instance on it, and two bystanders in a room of their own on other
 * sockets, plus the checks that every input must leave true.
 */
export class Harness {
  /** The sockets a run opens; each run closes its own. */
  readonly sockets = new Sockets();
  private sentinel = 0;
  /** What the instance logged as an error (Nest's logger writes errors to stderr). */
  private readonly errors: string[] = [];

  private constructor(
    readonly redis: RedisServer,
    readonly keys: Redis,
    readonly server: Instance,
    private readonly bystanders: Sockets,
    private readonly speaker: TestClient,
    private readonly listener: TestClient,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<Harness> {
    const redis = await RedisServer.start();
    const keys = new Redis(redis.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
    await keys.connect();
    const server = await Instance.start({ ...FUZZ_ENV, ...env, REDIS_URL: redis.url });
    const bystanders = new Sockets();
    const speaker = await bystanders.as(server, 'bystander-a', '/ws/room/bystanders');
    const listener = await bystanders.as(server, 'bystander-b', '/ws/room/bystanders');
    const harness = new Harness(redis, keys, server, bystanders, speaker, listener);
    const write = process.stderr.write.bind(process.stderr);
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array): boolean => {
      if (String(chunk).includes('ERROR')) harness.errors.push(String(chunk));
      return write(chunk);
    });
    return harness;
  }

  /**
   * After each input: nothing logged as an error (no stack trace per request), alive, the
   * bystanders still talk, and no Redis key outside the prefix or with a hostile character.
   */
  async checkInvariants(): Promise<void> {
    expect(this.errors.splice(0)).toEqual([]);
    expect((await this.server.request('GET', '/health')).status).toBe(200);
    const message = `still here ${++this.sentinel}`;
    this.speaker.send({ message });
    for (const client of [this.speaker, this.listener]) {
      expect(await client.nextJson()).toMatchObject({ message, room: 'bystanders' });
    }
    const outside: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await this.keys.scan(cursor, 'COUNT', 1000);
      cursor = next;
      outside.push(...found.filter((key) => !/^fz:[A-Za-z0-9_.:-]+$/.test(key)));
    } while (cursor !== '0');
    expect(outside).toEqual([]);
  }

  async stop(): Promise<void> {
    jest.restoreAllMocks();
    await this.sockets.closeAll();
    await this.bystanders.closeAll();
    await this.server?.stop();
    this.keys?.disconnect();
    await this.redis?.stop();
  }
}
