import { stampId } from '../../src/wire/numbered';
import { InvalidGroupNameError, type GroupName } from '../../src/layer/group-name';
import { connectedMember, expectNothingBeforeMarker } from '../support/test-member';
import { frame, freshGroup, type ChannelLayerFactory, type LayerUnderTest } from './channel-layer.fixtures';
import { describeSocketClaimsContract } from './channel-layer.claims.contract';
import { describeHistoryContract } from './channel-layer.history.contract';
import { describeMultiInstanceContract } from './channel-layer.multi.contract';

export type { ChannelLayerFactory };

/** Clock slack between this process and the backend, in microseconds. */
const CLOCK_SLACK_US = 5_000_000;

const INVALID_NAMES = ['a:b', 'a*', '', 'a b', 'x'.repeat(161), 'a?', 'a[b]', 'é'];

/**
 * The guarantees of `ChannelLayer` (see its TSDoc), run against every implementation. A case that
 * passes here on memory and fails on Redis (or the reverse) is a drift between them.
 */
export function describeChannelLayerContract(name: string, factory: ChannelLayerFactory): void {
  describe(`ChannelLayer contract: ${name}`, () => {
    let layer: LayerUnderTest;

    beforeEach(async () => {
      [layer] = await factory.instances(1);
    });
    afterEach(() => factory.cleanup());

    it('is available and has the expected kind', () => {
      expect(layer.isAvailable()).toBe(true);
      expect(layer.kind).toBe(name);
    });

    it('issues unique member ids', () => {
      const ids = new Set(Array.from({ length: 1000 }, () => layer.newMemberId()));
      expect(ids.size).toBe(1000);
    });

    it('delivers one send exactly once to each member, as the same stamped bytes', async () => {
      const group = freshGroup();
      const [a, b] = [await connectedMember(layer, 'alice'), await connectedMember(layer, 'bob')];
      await layer.join(group, a);
      await layer.join(group, b);
      const sent = frame({ text: 'héllo' });
      const id = await layer.send(group, sent);
      const [got, gotB] = [await a.next(), await b.next()];
      expect(got.toString()).toBe(stampId(sent, id));
      expect(gotB).toBe(got); // one Buffer shared by every member of a send
      expect(JSON.parse(got.toString())).toEqual({ type: 'test', text: 'héllo', id });
      await expectNothingBeforeMarker(layer, a);
      await expectNothingBeforeMarker(layer, b);
    });

    it('joining twice is joining once', async () => {
      const group = freshGroup();
      const a = await connectedMember(layer, 'alice');
      await layer.join(group, a);
      await layer.join(group, a);
      expect(await layer.countMembers(group)).toBe(1);
      await layer.send(group, frame({ n: 1 }));
      expect((await a.nextJson()).n).toBe(1);
      await expectNothingBeforeMarker(layer, a);
    });

    it('starts a group at the current time in microseconds and counts up by one', async () => {
      const before = Date.now() * 1000;
      const group = freshGroup();
      const first = await layer.send(group, frame({ n: 1 }));
      expect(first).toBeGreaterThanOrEqual(before - CLOCK_SLACK_US);
      expect(first).toBeLessThanOrEqual(Date.now() * 1000 + CLOCK_SLACK_US);
      expect(Number.isSafeInteger(first)).toBe(true);
      expect(await layer.send(group, frame({ n: 2 }))).toBe(first + 1);
      expect(await layer.send(group, frame({ n: 3 }))).toBe(first + 2);
    });

    it('keeps one counter per group', async () => {
      const [g1, g2] = [freshGroup(), freshGroup()];
      const a1 = await layer.send(g1, frame({}));
      await layer.send(g2, frame({}));
      await layer.send(g2, frame({}));
      expect(await layer.send(g1, frame({}))).toBe(a1 + 1);
    });

    it('delivers frames in send order with increasing ids', async () => {
      const group = freshGroup();
      const a = await connectedMember(layer, 'alice');
      await layer.join(group, a);
      const ids = await Promise.all(Array.from({ length: 50 }, (_, n) => layer.send(group, frame({ n }))));
      const received = await a.nextIds(50);
      expect(received).toEqual([...ids].sort((x, y) => x - y));
      for (let i = 1; i < received.length; i++) expect(received[i]).toBe(received[i - 1] + 1);
    });

    it('resolves a send to an empty group with an id and delivers nothing', async () => {
      const [empty, other] = [freshGroup(), freshGroup()];
      const a = await connectedMember(layer, 'alice');
      await layer.join(other, a);
      expect(Number.isSafeInteger(await layer.send(empty, frame({})))).toBe(true);
      await expectNothingBeforeMarker(layer, a);
    });

    it('delivers asynchronously: nothing reaches a member inside send', async () => {
      const group = freshGroup();
      const a = await connectedMember(layer, 'alice');
      await layer.join(group, a);
      const sending = layer.send(group, frame({}));
      expect(a.frames).toHaveLength(0);
      await sending;
      await a.next();
    });

    it('stops delivering to a member after leave', async () => {
      const group = freshGroup();
      const [a, b] = [await connectedMember(layer, 'alice'), await connectedMember(layer, 'bob')];
      await layer.join(group, a);
      await layer.join(group, b);
      await layer.leave(group, a);
      await layer.leave(group, a); // leaving twice is harmless
      await layer.send(group, frame({ n: 1 }));
      expect((await b.nextJson()).n).toBe(1);
      await expectNothingBeforeMarker(layer, a);
    });

    it('disconnect leaves every group and makes the member unreachable', async () => {
      const [g1, g2] = [freshGroup(), freshGroup()];
      const a = await connectedMember(layer, 'alice');
      await layer.join(g1, a);
      await layer.join(g2, a);
      await layer.disconnect(a);
      expect(await layer.countMembers(g1)).toBe(0);
      expect(await layer.countMembers(g2)).toBe(0);
      expect(await layer.sendTo(a.id, Buffer.from('{"late":true}'))).toBe(false);
      const b = await connectedMember(layer, 'bob');
      await layer.join(g1, b);
      await layer.send(g1, frame({}));
      await b.next();
      expect(a.frames).toHaveLength(0);
    });

    it('counts members and users', async () => {
      const group = freshGroup();
      const [a1, a2, b] = [
        await connectedMember(layer, 'alice'),
        await connectedMember(layer, 'alice'),
        await connectedMember(layer, 'bob'),
      ];
      expect(await layer.countMembers(group)).toBe(0);
      for (const m of [a1, a2, b]) await layer.join(group, m);
      expect(await layer.countMembers(group)).toBe(3);
      expect(await layer.hasUser(group, 'alice')).toBe(true);
      expect(await layer.hasUser(group, 'carol')).toBe(false);
      await layer.leave(group, a1);
      expect(await layer.countMembers(group)).toBe(2);
      expect(await layer.hasUser(group, 'alice')).toBe(true);
      await layer.leave(group, a2);
      expect(await layer.hasUser(group, 'alice')).toBe(false);
      await layer.disconnect(b);
      expect(await layer.countMembers(group)).toBe(0);
      expect(await layer.hasUser(group, 'bob')).toBe(false);
    });

    it('unlessAbsent: live while the user is present; absent, kept in history and forwarded as an event', async () => {
      const [group, inbox] = [freshGroup(), freshGroup('inbox')];
      const [a, b] = [await connectedMember(layer, 'alice'), await connectedMember(layer, 'bob')];
      await layer.join(group, a);
      await layer.join(inbox, b);
      const unlessAbsent = { userId: 'bob', forwardTo: inbox };
      const first = await layer.send(group, frame({ n: 1 }), { unlessAbsent });
      const kept = stampId(frame({ n: 1 }), first);
      const forwarded = (await b.next()).toString();
      expect(forwarded).toMatch(new RegExp(`^\\{"event":${kept.replace(/[{}]/g, '\\$&')},"id":\\d+\\}$`));
      await expectNothingBeforeMarker(layer, a);
      await layer.join(group, b);
      const second = await layer.send(group, frame({ n: 2 }), { unlessAbsent });
      expect(second).toBe(first + 1);
      expect((await a.next()).toString()).toBe(stampId(frame({ n: 2 }), second));
      expect((await b.next()).toString()).toBe(stampId(frame({ n: 2 }), second));
      await expectNothingBeforeMarker(layer, b);
      const read = await layer.history(group, { after: 0 });
      expect(read.frames.map(String)).toEqual([kept, stampId(frame({ n: 2 }), second)]);
    });

    it('stores snapshots, alone and with a send', async () => {
      const [group, key] = [freshGroup(), freshGroup('snap')];
      expect(await layer.readSnapshot(key)).toBeNull();
      const a = await connectedMember(layer, 'alice');
      await layer.join(group, a);
      const id = await layer.send(group, frame({ data: [1] }), { snapshot: { key, value: '[1]' } });
      expect(await layer.readSnapshot(key)).toBe('[1]');
      expect((await a.nextJson()).id).toBe(id);
      await layer.send(group, frame({ data: 'x' }), { snapshot: { key, value: '"x"' } });
      expect(await layer.readSnapshot(key)).toBe('"x"');
    });

    it('sends to one member by id', async () => {
      const [a, b] = [await connectedMember(layer, 'alice'), await connectedMember(layer, 'bob')];
      const bytes = Buffer.from('{"type":"ack","id":7}');
      expect(await layer.sendTo(a.id, bytes)).toBe(true);
      expect((await a.next()).toString()).toBe(bytes.toString());
      expect(b.frames).toHaveLength(0);
      expect(await layer.sendTo(layer.newMemberId(), bytes)).toBe(false);
      expect(await layer.sendTo('not a member id', bytes)).toBe(false);
    });

    it('keeps delivering to the others when one member throws', async () => {
      const group = freshGroup();
      const bad = await connectedMember(layer, 'mallory', true);
      const good = await connectedMember(layer, 'alice');
      await layer.join(group, bad);
      await layer.join(group, good);
      await layer.send(group, frame({ n: 1 }));
      await layer.send(group, frame({ n: 2 }));
      expect(await good.nextIds(2)).toHaveLength(2);
      expect(await bad.nextIds(2)).toHaveLength(2);
    });

    it('accepts 160-character names and rejects invalid ones everywhere', async () => {
      const a = await connectedMember(layer, 'alice');
      const longest = 'x'.repeat(160) as GroupName;
      await layer.join(longest, a);
      expect(await layer.send(longest, frame({}))).toBeGreaterThan(0);
      await layer.leave(longest, a);
      const valid = freshGroup();
      for (const bad of INVALID_NAMES as GroupName[]) {
        await expect(layer.join(bad, a)).rejects.toBeInstanceOf(InvalidGroupNameError);
        await expect(layer.leave(bad, a)).rejects.toBeInstanceOf(InvalidGroupNameError);
        await expect(layer.send(bad, frame({}))).rejects.toBeInstanceOf(InvalidGroupNameError);
        await expect(layer.send(valid, frame({}), { snapshot: { key: bad, value: '1' } })).rejects.toBeInstanceOf(
          InvalidGroupNameError,
        );
        const unlessAbsent = { userId: 'bob', forwardTo: bad };
        await expect(layer.send(valid, frame({}), { unlessAbsent })).rejects.toBeInstanceOf(InvalidGroupNameError);
        await expect(layer.history(bad, { after: 0 })).rejects.toBeInstanceOf(InvalidGroupNameError);
        await expect(layer.countMembers(bad)).rejects.toBeInstanceOf(InvalidGroupNameError);
        await expect(layer.hasUser(bad, 'alice')).rejects.toBeInstanceOf(InvalidGroupNameError);
        await expect(layer.readSnapshot(bad)).rejects.toBeInstanceOf(InvalidGroupNameError);
      }
      expect(await layer.countMembers(valid)).toBe(0);
    });

    it('settles: once settle() resolves, the sends made before it are answered and delivered', async () => {
      const group = freshGroup();
      const member = await connectedMember(layer, 'alice');
      await layer.join(group, member);
      const sent = Array.from({ length: 5 }, (_, n) => layer.send(group, frame({ n })));
      const direct = layer.sendTo(member.id, Buffer.from('{"type":"direct"}'));
      let answered = 0;
      for (const call of [...sent, direct]) void call.then(() => (answered += 1));
      await layer.settle();
      // Checked at once, without waiting for a frame: settle is what shutdown waits for.
      expect(answered).toBe(6);
      expect(member.unread).toBe(6);
      const ids = await Promise.all(sent);
      const received = member.frames.map((bytes) => bytes.toString());
      expect(
        received.filter((text) => text !== '{"type":"direct"}').map((text) => (JSON.parse(text) as { id: number }).id),
      ).toEqual(ids);
    });

    describeHistoryContract(factory);
    describeSocketClaimsContract(factory);
    if (factory.maxInstances >= 2) describeMultiInstanceContract(factory);
  });
}
