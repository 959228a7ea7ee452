import type { ErrorFrame } from '../../client/src/realtime-client';
import { Instance } from '../support/instance';
import { TEST_SECRET } from '../support/tokens';
import { Queue, TestClients } from './client-support';

/**
 * The client over the server's frame rate (`WS_MAX_MESSAGES_PER_SEC`): a 429 error frame is
 * reported to `onError` as `limited` and delivered to `on('error')`; nothing throws, the socket
 * stays open, and a `sendMessage()` refused with 429 is sent again and acknowledged.
 */
const RATE = 2;

describe('RealtimeClient over the frame rate limit', () => {
  let instance: Instance;
  const clients = new TestClients({ backoff: { initialMs: 100 } });

  beforeEach(async () => {
    instance = await Instance.start({ JWT_SECRET: TEST_SECRET, WS_MAX_MESSAGES_PER_SEC: String(RATE) });
    clients.setUp();
  });

  afterEach(() => clients.tearDown(() => instance.stop()));

  it('a 429 is reported to onError as limited and reaches on(error); the socket stays open', async () => {
    const { client, watch } = clients.open(`${instance.ws}/ws/room/fast`, { token: await instance.login('alice') });
    const errors = new Queue<ErrorFrame>();
    client.on('error', errors.push);
    await watch.state('open');
    // The open's ping took a token; 2×rate frames more cannot all fit.
    for (let i = 0; i < 2 * RATE; i += 1) client.send({ message: `m${i}` });
    expect(await errors.next()).toEqual({ type: 'error', code: 429, msg: expect.stringContaining('too many frames') });
    const limited = await watch.error('limited');
    expect(limited).toEqual({ kind: 'limited', status: 429, message: expect.stringContaining('too many frames') });
    expect(client.state).toBe('open');
    expect(watch.states).toEqual(['open']);
  });

  it('sendMessage() refused with 429 is sent again after a backoff, and every message is acknowledged once', async () => {
    const { client, watch } = clients.open(`${instance.ws}/ws/room/retry`, { token: await instance.login('alice') });
    await watch.state('open');
    const sent = Array.from({ length: 2 * RATE + 2 }, (_, i) => client.sendMessage({ message: `m${i}` }));
    const ids = await Promise.all(sent);
    expect(new Set(ids).size).toBe(ids.length);
    expect(watch.errorsOf('limited').length).toBeGreaterThan(0);
    expect(client.unacknowledged).toBe(0);
    expect(client.state).toBe('open');
  }, 20_000);
});
