import type { AuthUser } from '../../src/auth/user';
import { Peer } from '../../src/ws/peers/peer';
import { Metrics } from '../../src/metrics/metrics.service';
import { SlowConsumers } from '../../src/ws/peers/slow-consumers';
import { WriteHolds } from '../../src/ws/peers/write-holds';

/** A peer's frames are handled one at a time, in the order they came, whatever each one awaits. */
describe('Peer inbox', () => {
  const user: AuthUser = { id: 'alice', roles: [] };

  it('starts a task at once when idle, and holds later ones until the one before has finished', async () => {
    const peer = new Peer('p1', user, {}, new WriteHolds(), new SlowConsumers(1024 * 1024, new Metrics()));
    const log: string[] = [];
    let finishFirst!: () => void;
    const firstDone = new Promise<void>((resolve) => (finishFirst = resolve));
    const allDone = new Promise<void>((resolve) => {
      peer.enqueue(async () => {
        log.push('1 start');
        await firstDone;
        log.push('1 end');
      });
      peer.enqueue(async () => {
        log.push('2');
      });
      peer.enqueue(async () => {
        log.push('3');
        resolve();
      });
    });
    expect(log).toEqual(['1 start']);
    finishFirst();
    await allDone;
    expect(log).toEqual(['1 start', '1 end', '2', '3']);

    // Idle again once the microtasks after task 3 have run (they all run before an immediate).
    await new Promise((resolve) => setImmediate(resolve));
    peer.enqueue(async () => {
      log.push('4');
    });
    expect(log.at(-1)).toBe('4');
  });
});
