import { Heartbeat } from '../../client/src/heartbeat';
import { Queue } from './client-support';

/** A heartbeat whose pings and deaths land in queues, with real (short) timers. */
function harness(intervalMs: number, timeoutMs: number) {
  const pings = new Queue<number>();
  const deaths = new Queue<number>();
  const heartbeat = new Heartbeat({
    intervalMs,
    timeoutMs,
    ping: () => pings.push(Date.now()),
    onDead: () => deaths.push(Date.now()),
  });
  return { heartbeat, pings, deaths };
}

describe('Heartbeat', () => {
  const stops: Heartbeat[] = [];
  afterEach(() => stops.splice(0).forEach((heartbeat) => heartbeat.stop()));

  it('pings one interval after start, then one interval after each pong', async () => {
    const { heartbeat, pings, deaths } = harness(30, 1000);
    stops.push(heartbeat);
    const started = Date.now();
    heartbeat.start();
    const first = await pings.next(1000, 'the first ping');
    expect(first - started).toBeGreaterThanOrEqual(25);
    heartbeat.pong();
    const answered = Date.now();
    const second = await pings.next(1000, 'the second ping');
    expect(second - answered).toBeGreaterThanOrEqual(25);
    heartbeat.pong();
    await pings.next(1000, 'the third ping');
    expect(deaths.size).toBe(0);
  });

  it('never has two pings in flight: without a pong, the next thing is death, once', async () => {
    const { heartbeat, pings, deaths } = harness(20, 60);
    stops.push(heartbeat);
    heartbeat.start();
    const ping = await pings.next(1000, 'the ping');
    const dead = await deaths.next(1000, 'onDead');
    expect(dead - ping).toBeGreaterThanOrEqual(55);
    expect(pings.size).toBe(0);
    // Dead means stopped: no more pings, no second death.
    await expect(pings.next(150)).rejects.toThrow(/timed out/);
    expect(deaths.size).toBe(0);
  });

  it('ignores a pong nobody waits for', async () => {
    const { heartbeat, pings } = harness(40, 1000);
    stops.push(heartbeat);
    heartbeat.start();
    heartbeat.pong(); // before any ping: must not schedule a second chain
    await pings.next(1000, 'the ping');
    await expect(pings.next(120)).rejects.toThrow(/timed out/); // still waiting for the pong
  });

  it('stop() cancels the pending ping and the pending death', async () => {
    const { heartbeat, pings, deaths } = harness(20, 40);
    heartbeat.start();
    await pings.next(1000, 'the ping');
    heartbeat.stop();
    await expect(deaths.next(150)).rejects.toThrow(/timed out/);
    heartbeat.start();
    heartbeat.stop();
    await expect(pings.next(100)).rejects.toThrow(/timed out/);
  });

  it('is off with an interval of 0', async () => {
    const { heartbeat, pings } = harness(0, 0);
    expect(heartbeat.enabled).toBe(false);
    heartbeat.start();
    await expect(pings.next(80)).rejects.toThrow(/timed out/);
  });
});
