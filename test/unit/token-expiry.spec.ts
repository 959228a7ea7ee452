import { TokenExpiry, type ExpiringSocket } from '../../src/ws/handshake/token-expiry';

/** A socket whose token expires at `expiresAt` (ms), recording the closes it gets. */
class FakeSocket implements ExpiringSocket {
  readonly closes: Array<[number, string]> = [];
  readonly user: { expiresAt?: number };

  constructor(expiresAt?: number) {
    this.user = { expiresAt };
  }

  close(code: number, reason: string): void {
    this.closes.push([code, reason]);
  }
}

/** 2030-01-01T00:00:00Z, in ms: a whole second, as `exp * 1000` always is. */
const T0 = Date.UTC(2030, 0, 1);

describe('TokenExpiry', () => {
  let expiry: TokenExpiry;

  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
    expiry = new TokenExpiry();
  });

  afterEach(() => {
    expiry.onApplicationShutdown();
    jest.useRealTimers();
  });

  it('closes a socket with 4001 "token expired" at its exp, not a millisecond before', () => {
    const socket = new FakeSocket(T0 + 2000);
    expiry.watch(socket);
    jest.advanceTimersByTime(1999);
    expect(socket.closes).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(socket.closes).toEqual([[4001, 'token expired']]);
    expect(expiry.size).toBe(0);
    jest.advanceTimersByTime(10_000);
    expect(socket.closes).toHaveLength(1); // once
  });

  it('closes each socket in its own second, in order, whatever order they were watched in', () => {
    const order: number[] = [];
    const sockets = [3, 1, 2].map((seconds) => {
      const socket = new FakeSocket(T0 + seconds * 1000);
      socket.close = () => order.push(seconds);
      expiry.watch(socket);
      return socket;
    });
    expect(sockets).toHaveLength(3);
    jest.advanceTimersByTime(1000);
    expect(order).toEqual([1]);
    jest.advanceTimersByTime(1000);
    expect(order).toEqual([1, 2]);
    jest.advanceTimersByTime(1000);
    expect(order).toEqual([1, 2, 3]);
  });

  it('closes each of many sockets at its own second, for seconds watched in a shuffled order', () => {
    // A fixed pseudo-random sequence (a linear congruential generator): the same order every run.
    let seed = 12345;
    const nextSecond = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 97;
    const closedAt = new Map<FakeSocket, number>();
    const sockets = Array.from({ length: 400 }, () => new FakeSocket(T0 + 1000 * (1 + nextSecond())));
    for (const socket of sockets) {
      socket.close = () => closedAt.set(socket, Date.now());
      expiry.watch(socket);
    }
    for (let second = 1; second <= 98; second += 1) jest.advanceTimersByTime(1000);
    expect(sockets.map((socket) => closedAt.get(socket))).toEqual(sockets.map((socket) => socket.user.expiresAt));
  });

  it('keeps one timer for any number of sockets and seconds', () => {
    for (let i = 0; i < 1000; i += 1) expiry.watch(new FakeSocket(T0 + 1000 * (1 + (i % 50))));
    expect(jest.getTimerCount()).toBe(1);
    expect(expiry.size).toBe(1000);
    jest.advanceTimersByTime(25_000);
    expect(jest.getTimerCount()).toBe(1);
    expect(expiry.size).toBe(500);
    jest.advanceTimersByTime(25_000);
    expect(expiry.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0); // nothing left to expire: no timer
  });

  it('re-arms for an earlier second, and the later one still closes', () => {
    const late = new FakeSocket(T0 + 5000);
    const early = new FakeSocket(T0 + 1000);
    expiry.watch(late);
    expiry.watch(early);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(1000);
    expect(early.closes).toHaveLength(1);
    expect(late.closes).toHaveLength(0);
    jest.advanceTimersByTime(4000);
    expect(late.closes).toHaveLength(1);
  });

  it('closes every socket of one second in one pass, once each', () => {
    const sockets = Array.from({ length: 200 }, () => new FakeSocket(T0 + 1000));
    sockets.forEach((socket) => expiry.watch(socket));
    jest.advanceTimersByTime(1000);
    expect(sockets.map((socket) => socket.closes.length)).toEqual(sockets.map(() => 1));
  });

  it('a socket forgotten (closed earlier) is not closed at its exp, and its second-mates still are', () => {
    const gone = new FakeSocket(T0 + 1000);
    const stays = new FakeSocket(T0 + 1000);
    expiry.watch(gone);
    expiry.watch(stays);
    expiry.forget(gone);
    expect(expiry.size).toBe(1);
    jest.advanceTimersByTime(1000);
    expect(gone.closes).toEqual([]);
    expect(stays.closes).toEqual([[4001, 'token expired']]);
  });

  it('a second whose every socket was forgotten closes nothing, and a socket watched into it again is closed', () => {
    const first = new FakeSocket(T0 + 2000);
    expiry.watch(first);
    expiry.forget(first);
    expect(expiry.size).toBe(0);
    const again = new FakeSocket(T0 + 2000);
    expiry.watch(again);
    jest.advanceTimersByTime(2000);
    expect(first.closes).toEqual([]);
    expect(again.closes).toHaveLength(1);
  });

  it('forgetting a socket never watched, or already closed, is harmless', () => {
    const socket = new FakeSocket(T0 + 1000);
    expiry.forget(socket);
    expiry.watch(socket);
    jest.advanceTimersByTime(1000);
    expiry.forget(socket);
    expect(socket.closes).toHaveLength(1);
  });

  it('ignores a token without exp: no bucket, no timer', () => {
    const socket = new FakeSocket(undefined);
    expiry.watch(socket);
    expect(expiry.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    expiry.forget(socket);
  });

  it('rounds an expiry within a second up to the end of it: never closes early', () => {
    const socket = new FakeSocket(T0 + 1500);
    expiry.watch(socket);
    jest.advanceTimersByTime(1999);
    expect(socket.closes).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(socket.closes).toHaveLength(1);
  });

  it('waits past the longest timer Node has (~24.8 days) without firing early', () => {
    const days40 = 40 * 24 * 3600 * 1000;
    const socket = new FakeSocket(T0 + days40);
    expiry.watch(socket);
    jest.advanceTimersByTime(2 ** 31 - 1);
    expect(socket.closes).toEqual([]); // the cut-short timer woke up, and armed again
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(days40 - (2 ** 31 - 1) - 1);
    expect(socket.closes).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(socket.closes).toHaveLength(1);
  });

  it('closes at once a socket whose exp has already passed', () => {
    const socket = new FakeSocket(T0 - 1000);
    expiry.watch(socket);
    jest.advanceTimersByTime(0);
    expect(socket.closes).toHaveLength(1);
  });

  it('shutdown clears the timer', () => {
    expiry.watch(new FakeSocket(T0 + 1000));
    expiry.onApplicationShutdown();
    expect(jest.getTimerCount()).toBe(0);
  });
});
