import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ChannelLayer, type HistoryFrom, type HistoryRead } from '../../src/layer/channel-layer';
import type { GroupName } from '../../src/layer/group-name';
import { pushGroup } from '../../src/push/push.service';
import { Instance } from '../support/instance';
import { RedisServer } from '../support/redis-server';
import { signToken, TEST_SECRET } from '../support/tokens';
import { withTimeout } from '../support/wait';

/**
 * A push handshake that fails after the server joined the inbox and read it (the client went
 * away meanwhile) leaves the inbox as it was: the pushes arrive on the next connect. The read
 * used to mark them received at once, before any socket existed, and they were lost; the server
 * only learns that the client is gone when it writes its 101 and the replay.
 */
describe.each(['memory', 'redis'] as const)('a push handshake aborted after the join (%s layer)', (kind) => {
  let redis: RedisServer | undefined;
  let instance: Instance;
  const admin = signToken({ sub: 'admin', roles: ['admin'] });

  beforeAll(async () => {
    redis = kind === 'redis' ? await RedisServer.start() : undefined;
    instance = await Instance.start({ JWT_SECRET: TEST_SECRET, ...(redis ? { REDIS_URL: redis.url } : {}) });
  });
  afterAll(async () => {
    await instance?.stop();
    await redis?.stop();
  });

  async function push(user: string, n: number): Promise<number> {
    const answer = await instance.request('POST', `/api/push/${user}`, { token: admin, body: { event: { n } } });
    expect(answer.status).toBe(202);
    return (answer.body as { id: number }).id;
  }

  /**
   * Holds the next history read of `group` once it is done (marking whatever it marks), until
   * `release`: the handshake is then between its join and its 101.
   */
  function holdNextRead(group: GroupName): { read: Promise<void>; release: () => void } {
    const layer = instance.app.get<ChannelLayer>(ChannelLayer);
    const original = layer.history.bind(layer);
    let readDone = (): void => undefined;
    let release = (): void => undefined;
    const read = new Promise<void>((resolve) => (readDone = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    jest.spyOn(layer, 'history').mockImplementation(async (g: GroupName, from: HistoryFrom): Promise<HistoryRead> => {
      const result = await original(g, from);
      if (g === group) {
        readDone();
        await gate;
      }
      return result;
    });
    return { read, release };
  }

  /** A WebSocket upgrade request written by hand, so the test can cut it wherever it likes. */
  function upgradeRequest(path: string): Socket {
    const { port } = new URL(instance.http);
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    socket.on('error', () => undefined);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    return socket;
  }

  afterEach(() => jest.restoreAllMocks());

  test('the pushes sent before it arrive on the next connect, once', async () => {
    const user = `abort${kind}`;
    const ids = [await push(user, 1), await push(user, 2), await push(user, 3)];
    const held = holdNextRead(pushGroup(user));

    // The server's end of the handshake, to await its close.
    const server = instance.app.getHttpServer() as Server;
    let serverEnd: Duplex | undefined;
    const upgrading = new Promise<void>((resolve) =>
      server.prependOnceListener('upgrade', (_request, socket: Duplex) => {
        serverEnd = socket;
        resolve();
      }),
    );
    const client = upgradeRequest(`/push/${user}?token=${signToken({ sub: user })}`);
    await withTimeout(upgrading, 5000, 'the upgrade request');
    await withTimeout(held.read, 5000, 'the join and the inbox read');
    const serverClosed = new Promise<void>((resolve) => serverEnd?.once('close', () => resolve()));
    const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.destroy();
    await clientClosed;
    // The server finds out only as it writes its 101 and the replay to the dead connection.
    held.release();
    await withTimeout(serverClosed, 5000, 'the server to see the client go');
    jest.restoreAllMocks();

    const tab = await instance.connect(`/push/${user}`, { token: signToken({ sub: user }) });
    expect(await tab.take(3)).toEqual([
      { event: { n: 1 }, id: ids[0] },
      { event: { n: 2 }, id: ids[1] },
      { event: { n: 3 }, id: ids[2] },
    ]);
    await tab.expectNothingPending(300);
    await tab.close();
    // Received once the socket was open: a later connect gets none of them again.
    const later = await instance.connect(`/push/${user}`, { token: signToken({ sub: user }) });
    await later.expectNothingPending(300);
    await later.close();
  });
});
