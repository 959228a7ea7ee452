import type { SocketClaim } from '../../src/layer/presence';
import type { ChannelLayerFactory, LayerUnderTest } from './channel-layer.fixtures';

/** User ids the layer must keep apart, whatever a Redis key pattern would make of them. */
const ODD_USERS = ['*'.repeat(64), `a?[b-z]\\*${'x'.repeat(56)}`, 'a', 'a:b', 'user:a:sockets', 'é'.repeat(64)];

/** `count` fresh sockets of `userId` on `layer`. */
function sockets(layer: LayerUnderTest, userId: string, count: number): SocketClaim[] {
  return Array.from({ length: count }, () => ({ id: layer.newMemberId(), userId }));
}

/** Each socket's claim, one after another; the verdicts. */
async function claimAll(layer: LayerUnderTest, claims: SocketClaim[], limit: number): Promise<boolean[]> {
  const verdicts: boolean[] = [];
  for (const claim of claims) verdicts.push(await layer.claimSocket(claim, limit));
  return verdicts;
}

/**
 * Open sockets per user (`Presence.claimSocket`): exactly `limit` at once, on every layer, and on
 * a backend with several instances across all of them.
 */
export function describeSocketClaimsContract(factory: ChannelLayerFactory): void {
  describe('socket claims', () => {
    let layer: LayerUnderTest;

    beforeEach(async () => {
      [layer] = await factory.instances(1);
    });
    afterEach(() => factory.cleanup());

    it('grants exactly limit claims per user, refuses the next, and a release frees one', async () => {
      const [first, ...rest] = sockets(layer, 'alice', 5);
      expect(await claimAll(layer, [first, ...rest.slice(0, 2)], 3)).toEqual([true, true, true]);
      expect(await layer.claimSocket(rest[2], 3)).toBe(false);
      await layer.releaseSocket(first);
      expect(await claimAll(layer, rest.slice(2), 3)).toEqual([true, false]);
    });

    it('grants one claim at a limit of one, and none more', async () => {
      expect(await claimAll(layer, sockets(layer, 'alice', 2), 1)).toEqual([true, false]);
    });

    it('counts each user apart; claiming or releasing a socket twice counts once', async () => {
      const alice = sockets(layer, 'alice', 4);
      expect(await claimAll(layer, alice.slice(0, 2), 2)).toEqual([true, true]);
      expect(await layer.claimSocket(alice[0], 2)).toBe(true); // already held: nothing more taken
      expect(await claimAll(layer, sockets(layer, 'bob', 2), 2)).toEqual([true, true]);
      await layer.releaseSocket(alice[0]);
      await layer.releaseSocket(alice[0]);
      await layer.releaseSocket({ id: layer.newMemberId(), userId: 'alice' }); // never claimed
      expect(await claimAll(layer, alice.slice(2), 2)).toEqual([true, false]);
    });

    it('keeps 64-character ids and ids with glob or separator characters apart', async () => {
      for (const user of ODD_USERS) {
        expect(await claimAll(layer, sockets(layer, user, 3), 2)).toEqual([true, true, false]);
      }
    });

    if (factory.maxInstances < 2) return;

    describe('across instances', () => {
      let a: LayerUnderTest;
      let b: LayerUnderTest;

      beforeEach(async () => {
        [a, b] = await factory.instances(2);
      });

      it('shares one limit between instances; a release on one frees a slot on the other', async () => {
        const onA = sockets(a, 'alice', 3);
        const onB = sockets(b, 'alice', 2);
        expect(await claimAll(a, onA.slice(0, 2), 3)).toEqual([true, true]);
        expect(await claimAll(b, onB, 3)).toEqual([true, false]);
        expect(await a.claimSocket(onA[2], 3)).toBe(false);
        await b.releaseSocket(onB[0]);
        expect(await a.claimSocket(onA[2], 3)).toBe(true);
        expect(await claimAll(b, sockets(b, 'bob', 3), 3)).toEqual([true, true, true]);
      });

      it('grants exactly limit of many concurrent claims from both instances', async () => {
        const claims = [...sockets(a, 'alice', 10), ...sockets(b, 'alice', 10)];
        const verdicts = await Promise.all(claims.map((claim, n) => (n < 10 ? a : b).claimSocket(claim, 7)));
        expect(verdicts.filter(Boolean)).toHaveLength(7);
      });
    });
  });
}
