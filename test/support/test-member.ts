import type { ChannelLayer, GroupMember } from '../../src/layer/channel-layer';

const DEFAULT_TIMEOUT_MS = 3000;

/**
 * A member that records what the layer delivers, for `await member.next()` with a bounded wait
 * instead of sleeps. `throwOnDeliver` makes it a faulty member (its frames are still recorded).
 */
export class TestMember implements GroupMember {
  readonly frames: Buffer[] = [];
  private read = 0;
  private waiter: (() => void) | undefined;

  constructor(
    readonly id: string,
    readonly userId: string,
    private readonly throwOnDeliver = false,
  ) {}

  deliver(frame: Buffer): void {
    this.frames.push(frame);
    this.waiter?.();
    if (this.throwOnDeliver) throw new Error(`member ${this.id} fails on purpose`);
  }

  /** Frames delivered but not yet taken by `next`. */
  get unread(): number {
    return this.frames.length - this.read;
  }

  /** The next frame in delivery order; rejects if none arrives within `timeoutMs`. */
  async next(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer> {
    if (this.read === this.frames.length) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.waiter = undefined;
          reject(new Error(`no frame for ${this.userId} (${this.id}) within ${timeoutMs} ms`));
        }, timeoutMs);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve();
        };
      });
    }
    return this.frames[this.read++];
  }

  async nextJson(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Record<string, unknown>> {
    return JSON.parse((await this.next(timeoutMs)).toString()) as Record<string, unknown>;
  }

  /** The next `count` frames' ids. */
  async nextIds(count: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) ids.push(Number((await this.nextJson(timeoutMs)).id));
    return ids;
  }
}

/** A connected member with a fresh id from `layer`. */
export async function connectedMember(
  layer: ChannelLayer,
  userId: string,
  throwOnDeliver = false,
): Promise<TestMember> {
  const member = new TestMember(layer.newMemberId(), userId, throwOnDeliver);
  await layer.connect(member);
  return member;
}

let markers = 0;

/**
 * Proves that nothing else reaches `member` before a marker that `via` sends it after whatever
 * the test sent before (a bounded quiet window, not a sleep): a send to a group and a `sendTo`
 * from one instance reach the member in that order.
 */
export async function expectNothingBeforeMarker(via: ChannelLayer, member: TestMember): Promise<void> {
  const marker = Buffer.from(JSON.stringify({ marker: ++markers }));
  expect(await via.sendTo(member.id, marker)).toBe(true);
  expect((await member.next()).toString()).toBe(marker.toString());
}
