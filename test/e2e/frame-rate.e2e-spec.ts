import { Metrics } from '../../src/metrics/metrics.service';
import { AppConfig } from '../../src/config/app-config';
import { PATIENTS } from '../support/expectations';
import { Instance } from '../support/instance';
import { Sockets } from '../support/sockets';
import { withTimeout } from '../support/wait';
import type { TestClient } from '../support/ws-client';

/**
 * Incoming frames per socket (`WS_MAX_MESSAGES_PER_SEC`, bursts of twice that), on real sockets:
 * a frame over the limit is not handled and gets one 429 error frame, in turn with the socket's
 * other replies; `ping` is always answered; other sockets carry on; a socket still over the limit
 * 10 s into its refusals is closed with 1008 after its 429.
 */
const RATE = 5;
const BURST = 2 * RATE;
const SNAPSHOT = { type: PATIENTS, data: null };
const TOO_MANY = {
  type: 'error',
  code: 429,
  msg: `too many frames: at most ${RATE} a second, in bursts of up to ${BURST}`,
};

/** `ws_rate_limited_total{limit="frames"}` of one instance. */
async function framesRefused(instance: Instance): Promise<number> {
  const metric = await instance.app.get(Metrics).rateLimited.get();
  return metric.values.find((v) => v.labels.limit === 'frames')?.value ?? 0;
}

/** Sends `count` snapshot requests in one go (they leave in one or a few TCP segments). */
function burst(client: TestClient, count: number): void {
  for (let i = 0; i < count; i += 1) client.send({ type: PATIENTS });
}

describe(`frame rate limit (WS_MAX_MESSAGES_PER_SEC=${RATE})`, () => {
  let server: Instance;
  const sockets = new Sockets();

  beforeAll(async () => {
    server = await Instance.start({ WS_MAX_MESSAGES_PER_SEC: String(RATE) });
  });

  afterEach(() => sockets.closeAll());
  afterAll(() => server?.stop());

  test(`a burst of ${BURST} is handled; the ${BURST + 1}th gets exactly one 429, after the replies`, async () => {
    const before = await framesRefused(server);
    const client = await sockets.as(server, 'ann', '/socket/all');
    burst(client, BURST + 1);
    expect(await client.take(BURST + 1)).toEqual([...new Array<unknown>(BURST).fill(SNAPSHOT), TOO_MANY]);
    expect(await framesRefused(server)).toBe(before + 1);
  });

  test('refused room messages reach nobody; other sockets, of the same user too, carry on', async () => {
    const alice = await sockets.as(server, 'alice', '/ws/room/rate');
    const bob = await sockets.as(server, 'bob', '/ws/room/rate');
    const aliceToo = await sockets.as(server, 'alice', '/socket/all');
    for (let i = 0; i <= BURST; i += 1) alice.send({ message: `m${i}` });
    const sent = Array.from({ length: BURST }, (_, i): unknown =>
      expect.objectContaining({ message: `m${i}`, from: 'alice' }),
    );
    // The memory layer delivers a message's copies before its frame's turn ends: the 429 comes last.
    expect(await alice.take(BURST + 1)).toEqual([...sent, TOO_MANY]);
    expect(await bob.take(BURST)).toEqual(sent);
    await bob.expectNothingPending();
    // Alice's other socket has a bucket of its own: a full burst of its own goes through.
    burst(aliceToo, BURST);
    expect(await aliceToo.take(BURST)).toEqual(new Array<unknown>(BURST).fill(SNAPSHOT));
    // Bob was never limited, and may still send.
    bob.send({ message: 'still here' });
    expect(await alice.nextJson()).toMatchObject({ message: 'still here', from: 'bob' });
  });

  test('ping is answered with pong even over the limit, and never gets a 429', async () => {
    const client = await sockets.as(server, 'ann', '/socket/all');
    burst(client, BURST);
    for (let i = 0; i < 3; i += 1) client.send('ping');
    const frames = await Promise.all(Array.from({ length: BURST + 3 }, () => client.next()));
    expect(frames.filter((f) => f === 'pong')).toHaveLength(3);
    expect(frames.filter((f) => f !== 'pong').map((f) => JSON.parse(f) as unknown)).toEqual(
      new Array<unknown>(BURST).fill(SNAPSHOT),
    );
    // The bucket is still empty: the next frame is refused.
    client.send({ type: PATIENTS });
    expect(await client.nextJson()).toEqual(TOO_MANY);
  });

  test('the bucket refills at the rate: one frame per 1/rate s', async () => {
    const client = await sockets.as(server, 'ann', '/socket/all');
    burst(client, BURST + 1);
    expect((await client.take(BURST + 1))[BURST]).toEqual(TOO_MANY);
    // Wait for one token (200 ms at 5/s), with margin; the bucket cannot hold more than it refilled.
    await new Promise((resolve) => setTimeout(resolve, 1000 / RATE + 100));
    client.send({ type: PATIENTS });
    expect(await client.nextJson()).toEqual(SNAPSHOT);
  });

  test('over the limit for 10 s: the last frame is a 429, then close 1008', async () => {
    const client = await sockets.as(server, 'flood', '/socket/all');
    const received: string[] = [];
    client.socket.on('message', (data) => received.push((data as Buffer).toString()));
    const start = Date.now();
    let firstRefusal = 0;
    let closedAt = 0;
    void client.closed.then(() => (closedAt = Date.now()));
    // 20 frames a second against 5: refused about 0.7 s in, and closed about 10 s after that.
    for (let i = 0; i < 16_000 / 50 && closedAt === 0; i += 1) {
      client.send({ type: PATIENTS });
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (firstRefusal === 0 && received.some((f) => f.includes('"code":429'))) firstRefusal = Date.now();
    }
    const closed = await withTimeout(client.closed, 2000, 'the close');
    expect(closed).toEqual({ code: 1008, reason: 'frame rate limit exceeded' });
    expect(firstRefusal - start).toBeLessThan(5000);
    // Measured on this side of the socket: the 10 s of the server, give or take delivery jitter.
    expect(closedAt - firstRefusal).toBeGreaterThan(9000);
    expect(closedAt - firstRefusal).toBeLessThan(13_000);
    expect(JSON.parse(received[received.length - 1])).toEqual(TOO_MANY);
    expect(new Set(received.map((f) => JSON.stringify(JSON.parse(f))))).toEqual(
      new Set([JSON.stringify(SNAPSHOT), JSON.stringify(TOO_MANY)]),
    );
  }, 25_000);
});

describe('frame rate limit: the default', () => {
  let server: Instance;
  const sockets = new Sockets();

  beforeAll(async () => {
    server = await Instance.start();
  });

  afterEach(() => sockets.closeAll());
  afterAll(() => server?.stop());

  test('is 50 a second: a burst of 100 is handled, the 101st gets 429', async () => {
    expect(server.app.get(AppConfig).WS_MAX_MESSAGES_PER_SEC).toBe(50);
    const client = await sockets.as(server, 'ann', '/socket/all');
    burst(client, 101);
    const frames = await client.take(101);
    expect(frames.slice(0, 100)).toEqual(new Array<unknown>(100).fill(SNAPSHOT));
    expect(frames[100]).toEqual({
      type: 'error',
      code: 429,
      msg: 'too many frames: at most 50 a second, in bursts of up to 100',
    });
  });
});
