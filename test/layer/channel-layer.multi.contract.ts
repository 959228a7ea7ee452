import { connectedMember, expectNothingBeforeMarker } from '../support/test-member';
import { frame, freshGroup, type ChannelLayerFactory, type LayerUnderTest } from './channel-layer.fixtures';

/**
 * The cross-instance half of the contract: two instances on one backend, as two processes behind
 * a load balancer would be. Declared only for backends that can have several instances.
 */
export function describeMultiInstanceContract(factory: ChannelLayerFactory): void {
  describe('across instances', () => {
    let a: LayerUnderTest;
    let b: LayerUnderTest;

    beforeEach(async () => {
      [a, b] = await factory.instances(2);
    });
    afterEach(() => factory.cleanup());

    it('delivers a send to members on both instances exactly once', async () => {
      const group = freshGroup();
      const onA = await connectedMember(a, 'alice');
      const onB = await connectedMember(b, 'bob');
      await a.join(group, onA);
      await b.join(group, onB);
      const id = await a.send(group, frame({ n: 1 }));
      expect((await onA.nextJson()).id).toBe(id);
      expect((await onB.nextJson()).id).toBe(id);
      // The publishing instance's own member too: once, not once locally and once from Redis.
      await expectNothingBeforeMarker(a, onA);
      await expectNothingBeforeMarker(a, onB);
    });

    it('counts members and users on every instance, and sends only to a present user', async () => {
      const group = freshGroup();
      await a.join(group, await connectedMember(a, 'alice'));
      await a.join(group, await connectedMember(a, 'bob'));
      const carol = await connectedMember(b, 'carol');
      await b.join(group, carol);
      for (const layer of [a, b]) {
        expect(await layer.countMembers(group)).toBe(3);
        expect(await layer.hasUser(group, 'bob')).toBe(true);
        expect(await layer.hasUser(group, 'carol')).toBe(true);
        expect(await layer.hasUser(group, 'dave')).toBe(false);
      }
      const inbox = freshGroup('inbox');
      const carolInbox = await connectedMember(b, 'carol');
      await b.join(inbox, carolInbox);
      const unlessAbsent = { userId: 'carol', forwardTo: inbox };
      const id = await a.send(group, frame({ n: 1 }), { unlessAbsent });
      expect((await carol.nextJson()).id).toBe(id);
      await b.disconnect(carol);
      expect(await a.countMembers(group)).toBe(2);
      expect(await a.hasUser(group, 'carol')).toBe(false);
      const absent = await a.send(group, frame({ n: 2 }), { unlessAbsent });
      expect(absent).toBe(id + 1);
      expect((await carolInbox.nextJson()).event).toEqual({ type: 'test', n: 2, id: absent });
    });

    it('numbers concurrent sends from both instances in one increasing order', async () => {
      const group = freshGroup();
      const onA = await connectedMember(a, 'alice');
      const onB = await connectedMember(b, 'bob');
      await a.join(group, onA);
      await b.join(group, onB);
      const sends = Array.from({ length: 200 }, (_, n) => (n % 2 === 0 ? a : b).send(group, frame({ n })));
      const ids = await Promise.all(sends);
      expect(new Set(ids).size).toBe(200);
      const sorted = [...ids].sort((x, y) => x - y);
      for (const member of [onA, onB]) {
        const received = await member.nextIds(200, 5000);
        expect(received).toEqual(sorted);
        for (let i = 1; i < received.length; i++) expect(received[i]).toBeGreaterThan(received[i - 1]);
      }
    });

    it('shares one counter per group between instances', async () => {
      const group = freshGroup();
      const first = await a.send(group, frame({}));
      expect(await b.send(group, frame({}))).toBe(first + 1);
      expect(await a.send(group, frame({}))).toBe(first + 2);
    });

    it('stops delivering to another instance once its last member leaves', async () => {
      const group = freshGroup();
      const onA = await connectedMember(a, 'alice');
      const onB = await connectedMember(b, 'bob');
      await a.join(group, onA);
      await b.join(group, onB);
      await b.leave(group, onB);
      await a.send(group, frame({ n: 1 }));
      expect((await onA.nextJson()).n).toBe(1);
      await expectNothingBeforeMarker(a, onB);
      await b.join(group, onB);
      await a.send(group, frame({ n: 2 }));
      expect((await onB.nextJson()).n).toBe(2);
    });

    it('reaches a member of another instance by id', async () => {
      const onB = await connectedMember(b, 'bob');
      const bytes = Buffer.from('{"type":"direct"}');
      expect(await a.sendTo(onB.id, bytes)).toBe(true);
      expect((await onB.next()).toString()).toBe(bytes.toString());
    });

    it("settles: a frame another instance sent before settle() has reached this instance's members", async () => {
      const group = freshGroup();
      const onA = await connectedMember(a, 'alice');
      await a.join(group, onA);
      const id = await b.send(group, frame({ n: 1 }));
      await a.settle();
      // At once: the round trip on A's subscriber came back after the frame.
      expect(onA.unread).toBe(1);
      expect((await onA.nextJson()).id).toBe(id);
    });

    it('shares snapshots written with a send', async () => {
      const [group, key] = [freshGroup(), freshGroup('snap')];
      await a.send(group, frame({ data: 1 }), { snapshot: { key, value: '{"v":1}' } });
      expect(await b.readSnapshot(key)).toBe('{"v":1}');
    });
  });
}
