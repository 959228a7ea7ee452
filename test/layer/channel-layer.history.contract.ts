import { stampId } from '../../src/wire/numbered';
import { connectedMember, expectNothingBeforeMarker } from '../support/test-member';
import { waitFor } from '../support/wait';
import {
  frame,
  freshGroup,
  TEST_HISTORY,
  type ChannelLayerFactory,
  type LayerUnderTest,
} from './channel-layer.fixtures';

const SIZE = TEST_HISTORY.size;

/**
 * History, resume reads, idempotency keys and inboxes (ChannelLayer's TSDoc), on every layer.
 * Every layer here keeps `TEST_HISTORY.size` frames per group.
 */
export function describeHistoryContract(factory: ChannelLayerFactory): void {
  describe('history', () => {
    let layer: LayerUnderTest;

    beforeEach(async () => {
      [layer] = await factory.instances(1);
    });
    afterEach(() => factory.cleanup());

    /** `count` sends to `group`; their ids. */
    async function sendMany(group: ReturnType<typeof freshGroup>, count: number): Promise<number[]> {
      const ids: number[] = [];
      for (let n = 0; n < count; n++) ids.push(await layer.send(group, frame({ n })));
      return ids;
    }

    it('keeps every frame exactly as it was delivered, with consecutive ids', async () => {
      const group = freshGroup();
      const a = await connectedMember(layer, 'alice');
      await layer.join(group, a);
      const ids = await sendMany(group, 3);
      expect(ids).toEqual([ids[0], ids[0] + 1, ids[0] + 2]);
      const live = [await a.next(), await a.next(), await a.next()].map(String);
      const read = await layer.history(group, { after: 0 });
      expect(read).toEqual({ gap: null, frames: expect.any(Array), through: ids[2] });
      expect(read.frames.map(String)).toEqual(live);
    });

    it('reads after an id: the later frames; at or past the last id, nothing', async () => {
      const group = freshGroup();
      const ids = await sendMany(group, 5);
      const after = await layer.history(group, { after: ids[1] });
      expect(after.gap).toBeNull();
      expect(after.frames.map(String)).toEqual(ids.slice(2).map((id, i) => stampId(frame({ n: i + 2 }), id)));
      expect(after.through).toBe(ids[4]);
      for (const start of [ids[4], ids[4] + 1, Number.MAX_SAFE_INTEGER]) {
        expect(await layer.history(group, { after: start })).toEqual({ gap: null, frames: [], through: ids[4] });
      }
    });

    it('reports a gap once history was trimmed, with the first id it still has', async () => {
      const group = freshGroup();
      const ids = await sendMany(group, SIZE + 5);
      const kept = ids.slice(5);
      const fromFirst = await layer.history(group, { after: ids[0] });
      expect(fromFirst.gap).toEqual({ since: ids[0], first: kept[0] });
      expect(fromFirst.frames.map((f) => (JSON.parse(String(f)) as { id: number }).id)).toEqual(kept);
      expect((await layer.history(group, { after: 0 })).gap).toEqual({ since: 0, first: kept[0] });
      expect((await layer.history(group, { after: ids[4] })).gap).toBeNull();
      expect((await layer.history(group, { after: ids[4] })).frames).toHaveLength(SIZE);
    });

    it('keeps the size a send names for its group, and trims to it', async () => {
      const group = freshGroup();
      const ids: number[] = [];
      for (let n = 0; n < 5; n++) ids.push(await layer.send(group, frame({ n }), { historySize: 3 }));
      const read = await layer.history(group, { after: 0 });
      expect(read.gap).toEqual({ since: 0, first: ids[2] });
      expect(read.frames.map((f) => (JSON.parse(String(f)) as { id: number }).id)).toEqual(ids.slice(2));
    });

    it('without state: nothing from 0, a gap with no first id from any later id', async () => {
      const group = freshGroup();
      expect(await layer.history(group, { after: 0 })).toEqual({ gap: null, frames: [], through: null });
      expect(await layer.history(group, { after: 123 })).toEqual({
        gap: { since: 123, first: null },
        frames: [],
        through: null,
      });
    });

    it('expires a group after its ttl, and starts it again at a higher id', async () => {
      await factory.cleanup();
      [layer] = await factory.instances(1, { size: SIZE, ttlMs: 200 });
      const group = freshGroup();
      const [id] = await sendMany(group, 1);
      await waitFor(async () => (await layer.history(group, { after: id - 1 })).gap !== null, {
        timeoutMs: 3000,
        what: 'the history to expire',
      });
      expect(await layer.history(group, { after: id - 1 })).toEqual({
        gap: { since: id - 1, first: null },
        frames: [],
        through: null,
      });
      expect(await layer.send(group, frame({}))).toBeGreaterThan(id);
    });

    it('sends a message once per idempotency key while it is in history', async () => {
      const group = freshGroup();
      const a = await connectedMember(layer, 'alice');
      await layer.join(group, a);
      const first = await layer.send(group, frame({ n: 1 }), { idempotencyKey: 'alice:c1' });
      expect(await layer.send(group, frame({ n: 1 }), { idempotencyKey: 'alice:c1' })).toBe(first);
      const other = await layer.send(group, frame({ n: 2 }), { idempotencyKey: 'bob:c1' });
      expect(other).toBe(first + 1);
      expect(await a.nextIds(2)).toEqual([first, other]);
      await expectNothingBeforeMarker(layer, a);
      expect((await layer.history(group, { after: 0 })).frames).toHaveLength(2);
      // Once the original left history, the key is free again.
      await sendMany(group, SIZE);
      await a.nextIds(SIZE);
      const again = await layer.send(group, frame({ n: 1 }), { idempotencyKey: 'alice:c1' });
      expect(again).toBe(other + SIZE + 1);
      expect((await a.nextJson()).id).toBe(again);
    });

    it('keeps an inbox: what no member received is read once, then marked', async () => {
      const inbox = freshGroup('inbox');
      const pending = await layer.send(inbox, frame({ n: 1 }), { inbox: true });
      const missed = await layer.history(inbox, { after: 'received', markReceived: true });
      expect(missed.gap).toBeNull();
      expect(missed.frames.map(String)).toEqual([stampId(frame({ n: 1 }), pending)]);
      expect((await layer.history(inbox, { after: 'received', markReceived: true })).frames).toHaveLength(0);

      const a = await connectedMember(layer, 'alice');
      await layer.join(inbox, a);
      const live = await layer.send(inbox, frame({ n: 2 }), { inbox: true });
      expect((await a.nextJson()).id).toBe(live);
      await layer.leave(inbox, a);
      const later = await layer.send(inbox, frame({ n: 3 }), { inbox: true });
      const next = await layer.history(inbox, { after: 'received' });
      expect(next.frames.map(String)).toEqual([stampId(frame({ n: 3 }), later)]);
      // Without markReceived the read marks nothing: the same frames again.
      expect((await layer.history(inbox, { after: 'received' })).frames).toHaveLength(1);
    });
  });
}
