import { expectBroadcastOnce, expectErrorFrame } from '../support/expectations';
import { Instance } from '../support/instance';
import { Sockets } from '../support/sockets';
import { withTimeout } from '../support/wait';
import type { TestClient } from '../support/ws-client';

/**
 * Inbound frames (CONTRACT.md, WebSocket endpoints): a malformed frame gets an error frame on its
 * own socket, which stays open, and nothing else is affected; an oversized frame closes only its
 * own socket with 1009; `ping` is answered everywhere; the push socket takes no frames; the echo.
 */
type Bad = [label: string, frame: string | Buffer, code: number, names?: string];

const binary = (text: string): Buffer => Buffer.from(text, 'utf8');

/** A valid room frame of exactly `bytes` bytes (14 of them are `{"message":""}`). */
const roomFrame = (bytes: number): string => `{"message":"${'m'.repeat(bytes - 14)}"}`;

/** Frames no JSON endpoint accepts. */
const MALFORMED: Bad[] = [
  ['invalid JSON', 'not json', 400],
  ['truncated JSON', '{"type":', 400],
  ['an array', '[1]', 400],
  ['a string', '"x"', 400],
  ['a number', '5', 400],
  ['null', 'null', 400],
  ['a boolean', 'true', 400],
  ['a binary frame', binary('{"type":"all_patient_page_data"}'), 400],
];

interface Endpoint {
  path: string;
  user: string;
  bad: Bad[];
}

const ENDPOINTS: Endpoint[] = [
  {
    path: '/socket/all',
    user: 'ann',
    bad: [
      ['an unknown topic', '{"type":"nope"}', 404],
      ['a topic named like an Object method', '{"type":"toString"}', 404],

      ['a 101-character unknown topic', `{"type":"${'t'.repeat(101)}"}`, 404],
      ['a numeric type', '{"type":5}', 400, 'type'],
      ['no type', '{}', 400, 'type'],
    ],
  },
  {
    path: '/ws/chat/alice_bob',
    user: 'alice',
    bad: [
      ['a numeric message', '{"message":5}', 400, 'message'],
      ['no message', '{"to_user":"bob"}', 400, 'message'],
      ['a to_user outside the chat', '{"message":"x","to_user":"mallory"}', 400, 'to_user'],
      ['a numeric to_user', '{"message":"x","to_user":5}', 400, 'to_user'],
      ['a to_user naming the sender', '{"message":"x","to_user":"alice"}', 400, 'to_user'],
      ['a message only under __proto__', '{"__proto__":{"message":"x"}}', 400, 'message'],
      ['a cid of 65 characters', `{"message":"x","cid":"${'c'.repeat(65)}"}`, 400, 'cid'],
      ['an empty cid', '{"message":"x","cid":""}', 400, 'cid'],
    ],
  },
  {
    path: '/ws/room/lobby',
    user: 'alice',
    bad: [
      ['a numeric message', '{"message":5}', 400, 'message'],
      ['a null message', '{"message":null}', 400, 'message'],
      ['a message only under constructor', '{"constructor":{"message":"x"}}', 400, 'message'],
      ['a numeric cid', '{"message":"x","cid":5}', 400, 'cid'],
      ['a cid of 65 characters', `{"message":"x","cid":"${'c'.repeat(65)}"}`, 400, 'cid'],
    ],
  },
];

const CASES = ENDPOINTS.flatMap(({ path, user, bad }) =>
  [...MALFORMED, ...bad].map(([label, frame, code, names]) => ({ path, user, label, frame, code, names })),
);

describe('inbound frames', () => {
  let server: Instance;
  let small: Instance;
  let admin: string;
  const sockets = new Sockets();

  beforeAll(async () => {
    server = await Instance.start();
    small = await Instance.start({ WS_MAX_PAYLOAD: '1024' });
    admin = await server.login('root', ['admin']);
  });

  afterEach(() => sockets.closeAll());

  afterAll(async () => {
    await server?.stop();
    await small?.stop();
  });

  const send = (client: TestClient, frame: string | Buffer): void =>
    Buffer.isBuffer(frame) ? client.send(frame, true) : client.send(frame);

  test.each(CASES)('$path: $label → error $code, and nothing else is affected', async (c) => {
    const watcher = await sockets.as(server, 'watcher', '/socket/all');
    const client = await sockets.as(server, c.user, c.path);
    send(client, c.frame);
    await expectErrorFrame(client, c.code, c.names);
    // The socket is still open and in its groups: ping answers, broadcasts still arrive once.
    await expectBroadcastOnce(server, admin, c.path === '/socket/all' ? [watcher, client] : [watcher]);
  });

  test('after an error, each socket still handles valid frames', async () => {
    const all = await sockets.as(server, 'ann', '/socket/all');
    all.send('[1]');
    await expectErrorFrame(all, 400);
    all.send({ type: 'all_active_visit_data' });
    expect(await all.nextJson()).toEqual({ type: 'all_active_visit_data', data: null });

    const room = await sockets.as(server, 'alice', '/ws/room/after-error');
    room.send({ message: 5 });
    await expectErrorFrame(room, 400, 'message');
    room.send({ message: 'ok' });
    expect(await room.nextJson()).toEqual({
      message: 'ok',
      from: 'alice',
      room: 'after-error',
      id: expect.any(Number),
      ts: expect.any(Number),
    });
  });

  test('a refused chat frame reaches nobody, and the next one is delivered', async () => {
    const alice = await sockets.as(server, 'alice', '/ws/chat/alice_bob');
    const bob = await sockets.as(server, 'bob', '/ws/chat/alice_bob');
    alice.send({ message: 'psst', to_user: 'mallory' });
    await expectErrorFrame(alice, 400, 'to_user');
    await bob.expectNothingPending();
    alice.send({ message: 'hi', to_user: 'bob' });
    expect(await bob.nextJson()).toEqual({
      message: 'hi',
      from: 'alice',
      group: 'alice_bob',
      id: expect.any(Number),
      ts: expect.any(Number),
    });
  });

  describe('WS_MAX_PAYLOAD (1024 on the small instance)', () => {
    let smallAdmin: string;
    beforeAll(async () => {
      smallAdmin = await small.login('root', ['admin']);
    });

    test.each([
      ['2000 bytes of JSON', `{"type":"${'a'.repeat(1989)}"}`],
      ['a valid frame of 1025 bytes', roomFrame(1025)],
      ['400 characters that are 1200 UTF-8 bytes', '我'.repeat(400)],
    ])('%s closes that socket with 1009 when the limit is 1024; another socket stays open', async (_label, frame) => {
      expect(Buffer.byteLength(frame)).toBeGreaterThan(1024);
      const watcher = await sockets.as(small, 'watcher', '/socket/all');
      const victim = await sockets.as(small, 'victim', '/socket/all');
      victim.send(frame);
      expect((await withTimeout(victim.closed, 3000, 'the close')).code).toBe(1009);
      await watcher.expectNothingPending();
      await expectBroadcastOnce(small, smallAdmin, [watcher]);
    });

    test('the default limit is 65536 bytes: at it a frame is read, over it the socket closes with 1009', async () => {
      const client = await sockets.as(server, 'big', '/ws/room/big');
      const atLimit = `{"message":5,"pad":"${' '.repeat(65536 - 22)}"}`;
      expect(Buffer.byteLength(atLimit)).toBe(65536);
      client.send(atLimit);
      await expectErrorFrame(client, 400, 'message');
      client.send(roomFrame(65537));
      expect((await withTimeout(client.closed, 3000, 'the close')).code).toBe(1009);
    });

    test('a frame of exactly 1024 bytes is accepted', async () => {
      const frame = roomFrame(1024);
      expect(Buffer.byteLength(frame)).toBe(1024);
      const client = await sockets.as(small, 'alice', '/ws/room/limit');
      client.send(frame);
      expect(await client.nextJson()).toMatchObject({ message: 'm'.repeat(1010), from: 'alice', room: 'limit' });
    });
  });

  test.each([
    ['/socket/all', 'ann'],
    ['/ws/chat/a_b', 'a'],
    ['/push/u', 'u'],
    ['/ws/room/r', 'u'],
    ['/chat/socket/', 'u'],
  ])('%s answers the text ping with the text pong', async (path, user) => {
    const client = await sockets.as(server, user, path);
    client.send('ping');
    expect(await client.next()).toBe('pong');
    client.send('ping');
    expect(await client.next()).toBe('pong');
  });

  describe('/push/:username takes no frames', () => {
    test.each([
      ['a JSON object', '{"event":"x"}', 'takes no frames'],
      ['another JSON object', '{"type":"all_patient_page_data"}', 'takes no frames'],
      ['invalid JSON', 'hello', undefined],
      ['a binary frame', binary('{}'), undefined],
    ])('%s gets an error 400 and the socket stays open', async (_label, frame, names) => {
      const client = await sockets.as(server, 'pia', '/push/pia');
      send(client, frame);
      await expectErrorFrame(client, 400, names);
      const pushed = await server.request('POST', '/api/push/pia', { token: admin, body: { event: 'still here' } });
      expect(pushed.status).toBe(202);
      expect(await client.nextJson()).toEqual({ event: 'still here', id: (pushed.body as { id: number }).id });
      await client.expectNothingPending();
    });
  });

  describe('/chat/socket/ echo', () => {
    const RECEIVED = /^我收到了,(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

    /** The stamp is the server's local time now (same process, same clock and zone). */
    function expectReceivedNow(reply: string): void {
      const parts = RECEIVED.exec(reply);
      expect(parts).not.toBeNull();
      const [y, mo, d, h, mi, s] = (parts ?? []).slice(1).map(Number) as [
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      expect(Math.abs(new Date(y, mo - 1, d, h, mi, s).getTime() - Date.now())).toBeLessThan(5000);
    }

    test.each(['hello', '你好', '{"type":"all_patient_page_data"}', 'PING', 'close please', ' '])(
      'text %j gets exactly one acknowledgement',
      async (text) => {
        const client = await sockets.as(server, 'eve', '/chat/socket/');
        client.send(text);
        expectReceivedNow(await client.next());
        await client.expectNothingPending();
      },
    );

    test('a binary frame gets an error 400 and the socket stays open', async () => {
      const client = await sockets.as(server, 'eve', '/chat/socket/');
      client.send(binary('hello'), true);
      await expectErrorFrame(client, 400);
      client.send('again');
      expectReceivedNow(await client.next());
    });

    test('`close` closes the socket with 1000', async () => {
      const client = await sockets.as(server, 'eve', '/chat/socket/');
      client.send('hello');
      expectReceivedNow(await client.next());
      client.send('close');
      expect((await withTimeout(client.closed, 3000, 'the close')).code).toBe(1000);
      expect(client.pending).toBe(0);
    });
  });
});
