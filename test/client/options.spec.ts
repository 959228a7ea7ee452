import WebSocket from 'ws';
import { connect } from '../../client/src/realtime-client';
import { resolveOptions } from '../../client/src/options';
import { httpUrlOf, pathOf, sinceParamOf, withQuery } from '../../client/src/url';

describe('connect() options', () => {
  const base = { token: 't', WebSocket };

  it('fills in the defaults: 10 s heartbeat, pong timeout = heartbeat, snapshots on /socket/all only', () => {
    const all = resolveOptions('ws://h/socket/all', base);
    expect(all).toMatchObject({ heartbeatMs: 10000, pongTimeoutMs: 10000, snapshots: true, resetAfterMs: 5000 });
    expect(all.backoff.next()).toBeLessThanOrEqual(500);
    expect(resolveOptions('wss://h:8443/socket/all/?x=1', base).snapshots).toBe(true);
    expect(resolveOptions('ws://h/push/alice', base).snapshots).toBe(false);
    expect(resolveOptions('ws://h/push/alice', { ...base, snapshots: true }).snapshots).toBe(true);
    expect(resolveOptions('ws://h/socket/all', { ...base, heartbeatMs: 200 }).pongTimeoutMs).toBe(200);
    expect(resolveOptions('ws://h/socket/all', { ...base, heartbeatMs: 0 })).toMatchObject({ heartbeatMs: 0 });
  });

  it.each([
    ['http://h/socket/all', {}, TypeError],
    ['/socket/all', {}, TypeError],
    ['ws://h/socket/all', { heartbeatMs: -1 }, RangeError],
    ['ws://h/socket/all', { heartbeatMs: Number.NaN }, RangeError],
    ['ws://h/socket/all', { pongTimeoutMs: 0 }, RangeError],
    ['ws://h/socket/all', { connectTimeoutMs: 0 }, RangeError],
    ['ws://h/socket/all', { backoff: { factor: 0 } }, RangeError],
    ['ws://h/socket/all', { since: -1 }, RangeError],
    ['ws://h/socket/all', { since: 1.5 }, RangeError],
    ['ws://h/socket/all', { since: 2 ** 53 }, RangeError],
    ['ws://h/socket/all?since=abc', {}, RangeError],
    ['ws://h/socket/all?since=-1', {}, RangeError],
  ])('connect(%s, %j) throws at once', (url, options, error) => {
    expect(() => connect(url, { ...base, ...options })).toThrow(error);
  });

  it("since: the option, else the URL's, else none (the first connect starts live)", () => {
    expect(resolveOptions('ws://h/socket/all', base).since).toBeUndefined();
    expect(resolveOptions('ws://h/socket/all', { ...base, since: 0 }).since).toBe(0);
    expect(resolveOptions('ws://h/push/a?since=9007199254740991', base).since).toBe(2 ** 53 - 1);
    expect(resolveOptions('ws://h/push/a?since=7', { ...base, since: 12 }).since).toBe(12);
  });

  it('needs a WebSocket class: Node 20 has no global one', () => {
    expect(() => connect('ws://h/socket/all', { token: 't' })).toThrow(/WebSocket/);
  });
});

describe('URL helpers', () => {
  it('puts the token in the query, replacing one that is there, keeping the rest', () => {
    expect(withQuery('ws://h/socket/all', 'a.b.c')).toBe('ws://h/socket/all?token=a.b.c');
    expect(withQuery('ws://h/x?a=1', 'tok')).toBe('ws://h/x?a=1&token=tok');
    expect(withQuery('ws://h/x?token=old&a=1#frag', 't/+=')).toBe('ws://h/x?a=1&token=t%2F%2B%3D');
  });

  it('puts since in the query when given, replacing one that is there; without it, drops the URL one', () => {
    expect(withQuery('ws://h/x', 't', 0)).toBe('ws://h/x?token=t&since=0');
    expect(withQuery('ws://h/x?since=5&a=1&token=old', 't', 1795438931376000)).toBe(
      'ws://h/x?a=1&token=t&since=1795438931376000',
    );
    expect(withQuery('ws://h/x?since=5&a=1', 't')).toBe('ws://h/x?a=1&token=t');
    expect(sinceParamOf('ws://h/x?a=1&since=42#f')).toBe('42');
    expect(sinceParamOf('ws://h/x?a=1')).toBeUndefined();
  });

  it('probes the http(s) twin of the URL, and reads the path', () => {
    expect(httpUrlOf('ws://h:1/p?token=t')).toBe('http://h:1/p?token=t');
    expect(httpUrlOf('WSS://h/p')).toBe('https://h/p');
    expect(pathOf('ws://h:3000/ws/room/r?token=t')).toBe('/ws/room/r');
    expect(pathOf('ws://h')).toBe('/');
  });
});
