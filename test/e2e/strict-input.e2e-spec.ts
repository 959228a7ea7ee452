import 'reflect-metadata';
import { ForbiddenException, ImATeapotException } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { ChatService } from '../../src/chat/chat.service';
import { JSON_TOO_DEEP, MAX_JSON_DEPTH } from '../../src/common/json-depth';
import { expectErrorBody, expectErrorFrame, expectRefused, PATIENTS } from '../support/expectations';
import { Instance } from '../support/instance';
import { RedisServer } from '../support/redis-server';
import { Sockets } from '../support/sockets';
import { refusal } from '../support/ws-client';

/**
 * Strict input (CONTRACT.md, Limits): unknown REST fields named in a 400; JSON deeper than 64
 * levels refused cheaply everywhere (REST, frames, microservice events); request headers too
 * large answered 431, upgrade or not; helmet's headers; Nest exceptions in frame handlers as
 * error frames; free JSON passed on exactly as sent.
 */
const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
const HUGE_TOKEN = 't'.repeat(100 * 1024);

/** A raw JSON POST (the text as given), answered with its status, body and headers. */
async function post(server: Instance, path: string, body: string, token?: string) {
  const response = await fetch(server.http + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined, headers: response.headers };
}

describe('strict input', () => {
  let server: Instance;
  let admin: string;
  const sockets = new Sockets();

  beforeAll(async () => {
    server = await Instance.start();
    admin = await server.login('root', ['admin']);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await sockets.closeAll();
  });

  afterAll(async () => {
    await server?.stop();
  });

  describe('unknown fields in REST bodies', () => {
    test.each([
      ['/api/auth/dev-login', '{"username":"ann","extra":1}', 'extra', false],
      ['/api/auth/dev-login', '{"username":"ann","constructor":{}}', 'constructor', false],
      ['/api/auth/dev-login', '{"username":"ann","__proto__":{"roles":["admin"]}}', '__proto__', false],
      ['/api/push/bob', '{"event":1,"evnt":2}', 'evnt', true],
      ['/api/push/bob', '{"event":1,"prototype":2}', 'prototype', true],
      [`/api/notify/${PATIENTS}`, '{"data":"x","dta":"y"}', 'dta', true],
      [`/api/notify/${PATIENTS}`, '{"data":"x","__proto__":{}}', '__proto__', true],
    ])('%s %s → 400 naming %s', async (path, body, field, auth) => {
      const response = await post(server, path, body, auth ? admin : undefined);
      expect(response.status).toBe(400);
      expectErrorBody(response.body, 400, `property ${field} should not exist`);
    });

    test('free JSON inside a body (a push event, notify data) arrives exactly as sent', async () => {
      const watcher = await sockets.as(server, 'bob', '/push/bob');
      const all = await sockets.as(server, 'ann', '/socket/all');
      const free = '{"__proto__":{"admin":true},"constructor":{"prototype":[1,"é"]},"a":{"__proto__":null}}';
      const pushed = await post(server, '/api/push/bob', `{"event":${free}}`, admin);
      expect(pushed.status).toBe(202);
      const id = (pushed.body as { id: number }).id;
      expect(await watcher.next()).toBe(`{"event":${free},"id":${id}}`);
      const notified = await post(server, `/api/notify/${PATIENTS}`, `{"data":${free}}`, admin);
      expect(notified.status).toBe(202);
      const frame = `{"type":"${PATIENTS}","data":${free},"id":${(notified.body as { id: number }).id}}`;
      expect(await all.next()).toBe(frame);
      // Nothing was polluted: a fresh object has no admin property.
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    });

    test('a declared field of the wrong type is still named; a valid body still passes', async () => {
      const login = await post(server, '/api/auth/dev-login', '{"username":"ann","roles":"admin"}');
      expectErrorBody(login.body, 400, 'roles');
      expect((await post(server, '/api/auth/dev-login', '{"username":"ann","roles":["a"]}')).status).toBe(200);
    });
  });

  describe(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`, () => {
    test.each([
      ['/api/auth/dev-login', `{"username":"ann","roles":${nested(1500)}}`, false],
      ['/api/push/bob', `{"event":${nested(1500)}}`, true],
      [`/api/notify/${PATIENTS}`, `{"data":${nested(1500)}}`, true],
    ])('1,500 levels on %s → 400 naming the depth, fast, nothing logged', async (path, body, auth) => {
      const logged = jest.spyOn(process.stderr, 'write');
      const started = Date.now();
      const response = await post(server, path, body, auth ? admin : undefined);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(response.status).toBe(400);
      expectErrorBody(response.body, 400, JSON_TOO_DEEP);
      expect(logged).not.toHaveBeenCalled();
    });

    test('64 levels in a body are accepted, 65 refused', async () => {
      const at = await post(server, `/api/notify/${PATIENTS}`, `{"data":${nested(63)}}`, admin);
      expect(at.status).toBe(202);
      const over = await post(server, `/api/notify/${PATIENTS}`, `{"data":${nested(64)}}`, admin);
      expect(over.status).toBe(400);
      expectErrorBody(over.body, 400, JSON_TOO_DEEP);
    });

    test('as a frame: 1,500 and 65 levels → error frame naming the depth, 64 levels delivered', async () => {
      const alice = await sockets.as(server, 'alice', '/ws/room/deep');
      alice.send(`{"message":"x","extra":${nested(1500)}}`);
      await expectErrorFrame(alice, 400, JSON_TOO_DEEP);
      alice.send(`{"message":"x","extra":${nested(64)}}`);
      await expectErrorFrame(alice, 400, JSON_TOO_DEEP);
      alice.send(`{"message":"at the limit","extra":${nested(63)}}`);
      expect(await alice.nextJson()).toMatchObject({ message: 'at the limit', from: 'alice', room: 'deep' });
      const all = await sockets.as(server, 'ann', '/socket/all');
      all.send(`{"type":${nested(1500)}}`);
      await expectErrorFrame(all, 400, JSON_TOO_DEEP);
    });
  });

  describe('request headers over the limit', () => {
    test('a 100 KB token in a header or the query → 431 on HTTP, and the server carries on', async () => {
      const headers: Record<string, string>[] = [{ token: HUGE_TOKEN }, { authorization: `Bearer ${HUGE_TOKEN}` }];
      for (const header of headers) {
        const response = await fetch(`${server.http}/api/groups/chat_all_data`, {
          headers: header,
          signal: AbortSignal.timeout(10_000),
        });
        expect(response.status).toBe(431);
        expectErrorBody(await response.json(), 431, 'KiB');
      }
      const query = await fetch(`${server.http}/api/groups/chat_all_data?token=${HUGE_TOKEN}`);
      expect(query.status).toBe(431);
      expect((await fetch(`${server.http}/health`)).status).toBe(200);
    });

    test('a 100 KB token on a WebSocket upgrade → 431, in the query or a header', async () => {
      await expectRefused(`${server.ws}/socket/all`, { token: HUGE_TOKEN }, 431);
      await expectRefused(`${server.ws}/socket/all`, { token: HUGE_TOKEN, via: 'header' }, 431);
      const refused = await refusal(`${server.ws}/ws/room/x`, { token: HUGE_TOKEN, via: 'bearer' });
      expect(refused.status).toBe(431);
      const ok = await sockets.as(server, 'ann', '/socket/all');
      await ok.expectNothingPending();
    });
  });

  describe('security headers', () => {
    test.each(['/', '/app.js', '/health', '/api/groups/x', '/nope', '/socket/all'])('%s', async (path) => {
      const response = await fetch(server.http + path, { signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      expect(response.headers.get('x-powered-by')).toBeNull();
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      const csp = response.headers.get('content-security-policy') ?? '';
      const host = new URL(server.http).host;
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain(`connect-src 'self' ws://${host} wss://${host}`);
      expect(csp).not.toContain('upgrade-insecure-requests');
    });

    test('a Host header that could break the policy adds no WebSocket source', async () => {
      const { request } = await import('node:http');
      const csp = await new Promise<string>((resolve, reject) => {
        const url = new URL(server.http);
        const req = request({
          host: url.hostname,
          port: url.port,
          path: '/health',
          headers: { host: 'a;script-src *' },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(String(res.headers['content-security-policy']));
        });
        req.on('error', reject);
        req.end();
      });
      expect(csp).toMatch(/connect-src 'self'(;|$)/);
      expect(csp).not.toContain('script-src *');
    });
  });

  describe('Nest exceptions in a frame handler', () => {
    test('become error frames with their status; the socket and everyone else carry on', async () => {
      const alice = await sockets.as(server, 'alice', '/ws/chat/alice_bob');
      const bob = await sockets.as(server, 'bob', '/ws/chat/alice_bob');
      const send = jest.spyOn(ChatService.prototype, 'send');
      send.mockRejectedValueOnce(new ForbiddenException('no chatting today'));
      alice.send({ message: 'one' });
      expect(await alice.nextJson()).toEqual({ type: 'error', code: 403, msg: 'no chatting today' });
      send.mockImplementationOnce(() => {
        throw new ImATeapotException();
      });
      alice.send({ message: 'two' });
      expect(await alice.nextJson()).toEqual({ type: 'error', code: 418, msg: "I'm a teapot" });
      send.mockRestore();
      alice.send({ message: 'three', cid: 'c3' });
      const frames = await alice.take(2);
      expect(frames).toContainEqual({ type: 'ack', id: expect.any(Number) });
      expect(await bob.nextJson()).toMatchObject({ message: 'three', from: 'alice' });
    });
  });

  describe('null optional fields in frames', () => {
    test.each([
      ['/ws/chat/alice_bob', '{"message":"x","cid":null}', 'cid must be a string'],
      ['/ws/chat/alice_bob', '{"message":"x","to_user":null}', 'to_user must be a string'],
      ['/ws/room/nulls', '{"message":"x","cid":null}', 'cid must be a string'],
    ])('%s %s → 400 naming the field', async (path, frame, names) => {
      const client = await sockets.as(server, 'alice', path);
      client.send(frame);
      await expectErrorFrame(client, 400, names);
    });
  });
});

describe('strict input: microservice events', () => {
  let redis: RedisServer;
  let server: Instance;
  let client: ClientProxy;
  const sockets = new Sockets();

  beforeAll(async () => {
    redis = await RedisServer.start();
    server = await Instance.start({ REDIS_URL: redis.url, REDIS_PREFIX: 'strict:' });
    client = ClientProxyFactory.create({
      transport: Transport.REDIS,
      options: { host: '127.0.0.1', port: redis.port },
    });
    await client.connect();
  });

  afterAll(async () => {
    await sockets.closeAll();
    await client?.close();
    await server?.stop();
    await redis?.stop();
  });

  test('an event nested deeper than 64 levels is dropped; 64 levels and the next event are delivered', async () => {
    const bob = await sockets.as(server, 'bob', '/push/bob');
    const deep = (depth: number): unknown => JSON.parse(nested(depth)) as unknown;
    // The packet is {"pattern","data":{"username","event"}}: the event's arrays are 3 levels down.
    client.emit('push', { username: 'bob', event: deep(1500) });
    client.emit('push', { username: 'bob', event: deep(MAX_JSON_DEPTH - 2) });
    client.emit('push', { username: 'bob', event: deep(MAX_JSON_DEPTH - 1) });
    const after = JSON.parse('{"kind":"after","constructor":1,"__proto__":{"x":1}}') as unknown;
    client.emit('push', { username: 'bob', event: after });
    expect(await bob.nextJson()).toEqual({ event: deep(MAX_JSON_DEPTH - 2), id: expect.any(Number) });
    expect(await bob.next()).toMatch(/^\{"event":\{"kind":"after","constructor":1,"__proto__":\{"x":1\}\},"id":\d+\}$/);
    await bob.expectNothingPending();
  });
});
