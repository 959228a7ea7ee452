import { DrainState } from '../../src/lifecycle/drain-state';
import { GracefulShutdown, type ShutdownSteps } from '../../src/lifecycle/graceful-shutdown';

/** The phases' timing on a fake clock: each phase ends when its work does or at its fraction of the grace. */
const GRACE_MS = 1000;

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/** Steps that record when each ran (ms after the signal) and finish when the test says. */
class FakeSteps implements ShutdownSteps {
  readonly at: Record<string, number> = {};
  readonly flushing = deferred();
  readonly closing = deferred();
  readonly leaving = deferred();
  open = 3;
  cut = 0;

  constructor(private readonly start: number) {}

  stopKeepAlive(): void {
    this.note('stopKeepAlive');
  }
  flush(): Promise<void> {
    this.note('flush');
    return this.flushing.promise;
  }
  openSockets(): number {
    return this.open;
  }
  closeSockets(code: number, reason: string): Promise<void> {
    this.note(`closeSockets ${code} ${reason}`);
    return this.closing.promise;
  }
  cutSockets(): number {
    this.note('cutSockets');
    return this.cut;
  }
  closeApp(): Promise<void> {
    this.note('closeApp');
    return this.leaving.promise;
  }

  private note(step: string): void {
    this.at[step] = Date.now() - this.start;
  }
}

describe('GracefulShutdown phases', () => {
  const START = 1_800_000_000_000;
  let steps: FakeSteps;
  let drain: DrainState;
  let exits: { code: number; at: number }[];
  let lines: string[];
  let shutdown: GracefulShutdown;

  beforeEach(() => {
    jest.useFakeTimers({ now: START });
    steps = new FakeSteps(START);
    drain = new DrainState();
    exits = [];
    lines = [];
    const record = (level: string) => (message: unknown) => lines.push(`${level} ${String(message)}`);
    shutdown = new GracefulShutdown(steps, drain, {
      graceMs: GRACE_MS,
      exit: (code) => exits.push({ code, at: Date.now() - START }),
      logger: { log: record('log'), warn: record('warn'), error: record('error') },
    });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  test('work that finishes at once: every phase in order, exit 0 at once, no timer left behind', async () => {
    steps.flushing.resolve();
    steps.closing.resolve();
    steps.leaving.resolve();
    await shutdown.begin('SIGTERM');
    expect(drain.draining).toBe(true);
    expect(drain.since).toBe(START);
    expect(steps.at).toEqual({ stopKeepAlive: 0, flush: 0, 'closeSockets 1001 server shutting down': 0, closeApp: 0 });
    expect(lines).toEqual([
      'log SIGTERM: draining, exit within 1000 ms',
      'log queued data written',
      'log sockets closed 3 with 1001 (0 cut)',
      'log layer left',
      'log exit 0',
    ]);
    expect(exits).toEqual([{ code: 0, at: 0 }]);
    // The phase timers were cleared; only the unref'd hard exit is pending.
    expect(jest.getTimerCount()).toBe(1);
  });

  test('queued data never written: the sockets are closed at exactly ½ of the grace', async () => {
    void shutdown.begin('SIGTERM');
    await jest.advanceTimersByTimeAsync(GRACE_MS / 2 - 1);
    expect(steps.at['closeSockets 1001 server shutting down']).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(steps.at['closeSockets 1001 server shutting down']).toBe(GRACE_MS / 2);
    expect(lines).toContain('warn queued data not all written by 500 ms: closing anyway');
  });

  test('queued data written late: the close deadline is still ¾ of the grace from the signal', async () => {
    void shutdown.begin('SIGINT');
    await jest.advanceTimersByTimeAsync(400);
    steps.flushing.resolve();
    await jest.advanceTimersByTimeAsync(0);
    expect(steps.at['closeSockets 1001 server shutting down']).toBe(400);
    await jest.advanceTimersByTimeAsync(349);
    expect(steps.at.cutSockets).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(steps.at.cutSockets).toBe(750);
  });

  test('clients that never answer the close are cut at ¾ of the grace, then the app closes and exits 0', async () => {
    steps.flushing.resolve();
    steps.cut = 2;
    void shutdown.begin('SIGTERM');
    await jest.advanceTimersByTimeAsync((GRACE_MS * 3) / 4);
    expect(steps.at.cutSockets).toBe(750);
    expect(steps.at.closeApp).toBe(750);
    steps.leaving.resolve();
    await jest.advanceTimersByTimeAsync(0);
    expect(lines.slice(-3)).toEqual(['log sockets closed 3 with 1001 (2 cut)', 'log layer left', 'log exit 0']);
    expect(exits).toEqual([{ code: 0, at: 750 }]);
  });

  test('an app.close() that hangs: exit 1 at exactly the grace, logged', async () => {
    steps.flushing.resolve();
    steps.closing.resolve();
    void shutdown.begin('SIGTERM');
    await jest.advanceTimersByTimeAsync(GRACE_MS - 1);
    expect(exits).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(exits).toEqual([{ code: 1, at: GRACE_MS }]);
    expect(lines).toContain('error grace of 1000 ms over: exit 1');
    expect(lines).not.toContain('log exit 0');
  });

  test('a second signal starts nothing again', async () => {
    void shutdown.begin('SIGTERM');
    await jest.advanceTimersByTimeAsync(100);
    await shutdown.begin('SIGINT');
    expect(lines).toEqual(['log SIGTERM: draining, exit within 1000 ms', 'warn SIGINT again: already shutting down']);
    expect(drain.since).toBe(START);
    // Still one hard exit, at the first signal's grace.
    steps.flushing.resolve();
    await jest.advanceTimersByTimeAsync(GRACE_MS);
    expect(exits).toEqual([{ code: 1, at: GRACE_MS }]);
  });

  test('a step that throws: logged, exit 1 at once', async () => {
    steps.flushing.resolve();
    steps.closeSockets = () => Promise.reject(new Error('boom'));
    await shutdown.begin('SIGTERM');
    expect(lines.some((line) => line.startsWith('error shutdown failed: Error: boom'))).toBe(true);
    expect(exits).toEqual([{ code: 1, at: 0 }]);
  });
});

describe('DrainState', () => {
  test('serving until begun; the first begin stands', () => {
    const drain = new DrainState();
    expect(drain.draining).toBe(false);
    expect(drain.since).toBeUndefined();
    expect(drain.begin(1000)).toBe(true);
    expect(drain.begin(2000)).toBe(false);
    expect(drain.draining).toBe(true);
    expect(drain.since).toBe(1000);
  });
});
