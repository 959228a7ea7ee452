import { ChildInstance } from '../support/child-instance';
import { rawGet } from '../support/raw-http';
import { signToken, TEST_SECRET } from '../support/tokens';
import { waitFor } from '../support/wait';
import { refusal, TestClient } from '../support/ws-client';

/**
 * The built service's logs (`dist/main.js` in a child process, its raw stdout and stderr): JSON
 * lines with a level, the WebSocket lifecycle as fields, no token anywhere, `LOG_LEVEL` and
 * `LOG_FORMAT` obeyed, and a bad `LOG_FORMAT` stopping the start.
 */
interface Line {
  level: string;
  time: number;
  msg: string;
  [field: string]: unknown;
}

const PRODUCTION_SECRET = 'a-production-secret-of-32-characters-or-more';
/** A close code only this test's client sends, to find its line. */
const CLIENT_CLOSE = 4100;

/** Every line of `output`, each parsed as JSON (a line that does not parse fails the test). */
function jsonLines(output: string): Line[] {
  return output
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Line;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });
}

/** SIGTERM, then the process's exit code once it is gone (graceful shutdown logs "exit 0" last). */
async function stop(service: ChildInstance): Promise<number | null> {
  service.send('SIGTERM');
  return (await service.exited()).code;
}

describe('logs (dist/main.js)', () => {
  const clients: TestClient[] = [];
  let service: ChildInstance | undefined;

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await service?.stop();
    service = undefined;
  });

  describe('LOG_FORMAT=json LOG_LEVEL=debug', () => {
    // Tokens whose text must never appear in the output.
    const alice = signToken({ sub: 'alice' });
    const bob = signToken({ sub: 'bob' });
    const admin = signToken({ sub: 'root', roles: ['admin'] });
    const tokens = { alice, bob, admin };
    let lines: Line[];
    let output: string;

    beforeAll(async () => {
      service = await ChildInstance.start({
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'debug',
        JWT_SECRET: TEST_SECRET,
        WS_MAX_CONNECTIONS_PER_USER: '1',
      });
      const { ws, http } = service;
      // Accepted: the token in the query, and in Authorization.
      const inQuery = await TestClient.open(`${ws}/ws/room/lobby`, { token: alice });
      const asBearer = await TestClient.open(`${ws}/push/bob`, { token: bob, via: 'bearer' });
      // Refused: a bad token (the real one with a character more, in the query and as a header),
      // and alice over her one socket.
      expect((await refusal(`${ws}/ws/room/lobby`, { token: `${alice}x` })).status).toBe(401);
      expect((await refusal(`${ws}/ws/room/lobby`, { token: `${bob}x`, via: 'header' })).status).toBe(401);
      expect((await refusal(`${ws}/ws/room/lobby`, { token: alice })).status).toBe(429);
      // HTTP carrying tokens: in the query, in Authorization, the token header and a cookie, and
      // the plain GET that probes a WebSocket path.
      const api = await fetch(`${http}/api/groups/lobby?token=${admin}&since=1`, {
        headers: { authorization: `Bearer ${admin}`, token: admin, cookie: `session=${admin}` },
      });
      expect(api.status).toBe(200);
      expect((await rawGet(`${http}/ws/room/lobby?token=${alice}`)).status).toBe(426);
      // Closed by the client with its own code; the other one by the server's shutdown (1001).
      inQuery.socket.close(CLIENT_CLOSE);
      await inQuery.closed;
      clients.push(asBearer);
      await waitFor(() => service!.output.includes(`"code":${CLIENT_CLOSE}`), {
        timeoutMs: 5000,
        what: 'the close line',
      });
      expect(await stop(service)).toBe(0);
      output = service.output;
      lines = jsonLines(output);
    });

    test('every line is a JSON object with level, time and msg; the last one is "exit 0"', () => {
      expect(lines.length).toBeGreaterThan(10);
      for (const line of lines) {
        expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).toContain(line.level);
        expect(typeof line.time).toBe('number');
        expect(typeof line.msg).toBe('string');
      }
      expect(lines[lines.length - 1]).toMatchObject({ level: 'info', context: 'Shutdown', msg: 'exit 0' });
      expect(lines).toContainEqual(
        expect.objectContaining({ context: 'main', msg: expect.stringMatching(/^listening on /) }),
      );
    });

    test('the boot log maps every WebSocket route to its gateway, as Nest maps HTTP routes', () => {
      const routes = lines.filter((line) => line.context === 'WsRoutes').map((line) => line.msg);
      for (const [gateway, path] of [
        ['AllDataGateway', '/socket/all'],
        ['PushGateway', '/push/:username'],
        ['ChatGateway', '/ws/chat/:group'],
        ['RoomGateway', '/ws/room/:room'],
        ['EchoGateway', '/chat/socket/'],
      ]) {
        expect(routes).toContain(`${gateway} {${path}}:`);
        expect(routes).toContain(`Mapped {${path}, WS} route`);
      }
    });

    test('the shutdown steps, in order, as JSON lines of context Shutdown', () => {
      expect(lines.filter((line) => line.context === 'Shutdown').map((line) => line.msg)).toEqual([
        'SIGTERM: draining, exit within 10000 ms',
        'queued data written',
        'sockets closed 1 with 1001 (0 cut)',
        'layer left',
        'exit 0',
      ]);
    });

    test.each(Object.keys(tokens))('no line holds the %s token', (name) => {
      const token = tokens[name as keyof typeof tokens];
      expect(output).not.toContain(token);
      // Nor its signature alone (the part that makes it a credential).
      expect(output).not.toContain(token.split('.')[2]);
    });

    test('an opened socket: user, endpoint pattern and peer id', () => {
      const open = lines.filter((line) => line.msg === 'socket open');
      expect(open).toEqual([
        expect.objectContaining({ level: 'info', context: 'WebSocket', user: 'alice', endpoint: '/ws/room/:room' }),
        expect.objectContaining({ level: 'info', context: 'WebSocket', user: 'bob', endpoint: '/push/:username' }),
      ]);
      expect(open[0].peer).toEqual(expect.any(String));
    });

    test('refusals: status and reason, the endpoint, and the user once known', () => {
      const refused = lines.filter((line) => line.msg === 'handshake refused');
      expect(refused).toEqual([
        expect.objectContaining({ level: 'info', status: 401, reason: 'invalid token', endpoint: '/ws/room/:room' }),
        expect.objectContaining({ level: 'info', status: 401, reason: 'invalid token', endpoint: '/ws/room/:room' }),
        expect.objectContaining({ status: 429, user: 'alice', endpoint: '/ws/room/:room' }),
      ]);
      expect(refused[0].user).toBeUndefined();
    });

    test('closes: user, endpoint and the close code', () => {
      const closed = lines.filter((line) => line.msg === 'socket closed');
      expect(closed).toEqual([
        expect.objectContaining({ level: 'info', user: 'alice', endpoint: '/ws/room/:room', code: CLIENT_CLOSE }),
        expect.objectContaining({ level: 'info', user: 'bob', endpoint: '/push/:username', code: 1001 }),
      ]);
    });

    test('HTTP requests at debug, the token query parameter and the credential headers redacted', () => {
      const request = lines.find((line) => (line.req as { url?: string } | undefined)?.url?.startsWith('/api/groups/'));
      expect(request).toMatchObject({
        level: 'debug',
        msg: 'request completed',
        req: {
          method: 'GET',
          url: '/api/groups/lobby?token=[Redacted]&since=1',
          headers: { authorization: '[Redacted]', token: '[Redacted]', cookie: '[Redacted]' },
        },
        res: { statusCode: 200 },
      });
      expect((request!.req as Record<string, unknown>).query).toBeUndefined();
    });
  });

  test('LOG_LEVEL=warn: no info or debug line, while sockets open and close', async () => {
    service = await ChildInstance.start({ LOG_FORMAT: 'json', LOG_LEVEL: 'warn', JWT_SECRET: TEST_SECRET });
    const client = await TestClient.open(`${service.ws}/ws/room/quiet`, { token: signToken({ sub: 'ann' }) });
    expect((await refusal(`${service.ws}/ws/room/quiet`, { token: 'bad' })).status).toBe(401);
    await client.close();
    expect(await stop(service)).toBe(0);
    const lines = jsonLines(service.output);
    expect(lines.filter((line) => !['warn', 'error', 'fatal'].includes(line.level))).toEqual([]);
  });

  test('LOG_FORMAT=pretty: text lines, not JSON, with the level and the context', async () => {
    service = await ChildInstance.start({ LOG_FORMAT: 'pretty', JWT_SECRET: TEST_SECRET });
    expect(await stop(service)).toBe(0);
    const lines = service.output.split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).toThrow();
    expect(service.output).toMatch(
      /INFO: \[main\] listening on http:\/\/127\.0\.0\.1:\d+ with the memory channel layer/,
    );
    expect(lines[lines.length - 1]).toMatch(/INFO: \[Shutdown\] exit 0$/);
  });

  test('NODE_ENV=production: JSON lines by default', async () => {
    service = await ChildInstance.start({ NODE_ENV: 'production', JWT_SECRET: PRODUCTION_SECRET });
    expect(await stop(service)).toBe(0);
    const lines = jsonLines(service.output);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', context: 'main' }));
    expect(lines[lines.length - 1]).toMatchObject({ msg: 'exit 0' });
  });

  test('LOG_FORMAT=xml: the start stops with exit code 1 and a message naming LOG_FORMAT', async () => {
    const { code, output } = await ChildInstance.run({ LOG_FORMAT: 'xml' });
    expect(code).toBe(1);
    expect(output).toMatch(/FATAL: \[main\] invalid configuration: LOG_FORMAT must be json or pretty\n$/);
  });

  test('a bad setting in production: one fatal JSON line naming it, exit code 1', async () => {
    const { code, output } = await ChildInstance.run({
      NODE_ENV: 'production',
      JWT_SECRET: PRODUCTION_SECRET,
      LOG_LEVEL: 'loud',
    });
    expect(code).toBe(1);
    expect(jsonLines(output)).toEqual([
      expect.objectContaining({
        level: 'fatal',
        context: 'main',
        msg: 'invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace',
      }),
    ]);
  });
});
