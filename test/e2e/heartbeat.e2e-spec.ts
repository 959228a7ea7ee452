import WebSocket from 'ws';
import { groupCount } from '../support/expectations';
import { Instance } from '../support/instance';
import { Sockets } from '../support/sockets';
import { waitFor, withTimeout } from '../support/wait';
import type { TestClient } from '../support/ws-client';

/**
 * The server's protocol heartbeat (CONTRACT.md, WebSocket endpoints): it pings every peer and drops
 * one that misses two pings, leaving its groups; peers that answer stay open.
 */
const INTERVAL_MS = 100;
/** Two missed pings and the tick that notices: ~3 intervals; the bound leaves room for a slow CI. */
const DROP_WITHIN_MS = 2000;

/** Resolves once `client` has received `count` more protocol pings. */
function nextPings(client: TestClient, count: number): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve) => {
      let seen = 0;
      const onPing = (): void => {
        seen += 1;
        if (seen < count) return;
        client.socket.off('ping', onPing);
        resolve();
      };
      client.socket.on('ping', onPing);
    }),
    count * INTERVAL_MS + DROP_WITHIN_MS,
    `${count} pings`,
  );
}

describe(`heartbeat (WS_PING_INTERVAL_MS=${INTERVAL_MS})`, () => {
  let server: Instance;
  const sockets = new Sockets();

  beforeAll(async () => {
    server = await Instance.start({ WS_PING_INTERVAL_MS: String(INTERVAL_MS) });
  });

  afterEach(() => sockets.closeAll());

  afterAll(async () => {
    await server?.stop();
  });

  test('a client that never answers pings is dropped; one that answers stays', async () => {
    const token = await server.login('beat');
    const alive = await sockets.connect(server, '/socket/all', { token });
    const silent = await sockets.connect(server, '/socket/all', { token, autoPong: false });
    expect(await groupCount(server, token, 'chat_all_data')).toBe(2);

    const closed = await withTimeout(silent.closed, DROP_WITHIN_MS, 'the silent client to be dropped');
    // Dropped without a close frame (terminated), after it let two pings go unanswered.
    expect(closed.code).toBe(1006);
    expect(silent.pings).toBeGreaterThanOrEqual(2);

    expect(alive.socket.readyState).toBe(WebSocket.OPEN);
    await alive.expectNothingPending();
    // Leaving the group follows the server's own close event, which emits nothing to observe.
    await waitFor(async () => (await groupCount(server, token, 'chat_all_data')) === 1, {
      timeoutMs: DROP_WITHIN_MS,
      what: 'chat_all_data to count 1',
    });

    // Still kept, well past the point where a silent peer is dropped.
    await nextPings(alive, 4);
    expect(alive.socket.readyState).toBe(WebSocket.OPEN);
    await alive.expectNothingPending();
    expect(await groupCount(server, token, 'chat_all_data')).toBe(1);
  });

  test('silent clients are dropped from every endpoint, and leave their groups', async () => {
    const token = await server.login('mute');
    const paths: Array<[string, string]> = [
      ['/ws/chat/mute_other', 'chat.mute_other'],
      ['/push/mute', 'push.mute'],
      ['/ws/room/quiet', 'room.quiet'],
    ];
    const silent = await Promise.all(paths.map(([path]) => sockets.connect(server, path, { token, autoPong: false })));
    for (const [, group] of paths) expect(await groupCount(server, token, group)).toBe(1);
    const echo = await sockets.connect(server, '/chat/socket/', { token, autoPong: false });
    const codes = await withTimeout(
      Promise.all([...silent, echo].map((client) => client.closed)),
      DROP_WITHIN_MS,
      'every silent client to be dropped',
    );
    expect(codes.map((c) => c.code)).toEqual([1006, 1006, 1006, 1006]);
    await waitFor(
      async () => {
        const counts = await Promise.all(paths.map(([, group]) => groupCount(server, token, group)));
        return counts.every((n) => n === 0);
      },
      { timeoutMs: DROP_WITHIN_MS, what: 'every group to be empty' },
    );
  });
});
