import type { TestClient } from './ws-client';

/**
 * Helpers for the Delivery (v2) suites (CONTRACT.md): numbered frames read raw, so that a replayed
 * frame can be compared byte for byte with the one a socket that stayed open received.
 */

/** `{"type":"gap","since":S,"first":F}`, exactly as the server writes it (key order included). */
export function gapText(since: number, first: number | null): string {
  return JSON.stringify({ type: 'gap', since, first });
}

/** The `id` of a numbered frame given as raw text; throws if it has none. */
export function idOf(raw: string): number {
  const id = (JSON.parse(raw) as { id?: unknown }).id;
  if (typeof id !== 'number') throw new Error(`not a numbered frame: ${raw.slice(0, 200)}`);
  return id;
}

/** The next `count` frames, raw. */
export async function raws(client: TestClient, count: number, timeoutMs = 5000): Promise<string[]> {
  const frames: string[] = [];
  for (let i = 0; i < count; i += 1) frames.push(await client.next(timeoutMs));
  return frames;
}

/**
 * Reads raw frames until one with id `lastId` (or at most `max` frames, whichever comes first),
 * so a socket that got too few, too many, or the wrong frames shows exactly what it got.
 */
export async function readUntilId(
  client: TestClient,
  lastId: number,
  max: number,
  timeoutMs = 5000,
): Promise<string[]> {
  const frames: string[] = [];
  while (frames.length < max) {
    const raw = await client.next(timeoutMs);
    frames.push(raw);
    const parsed = JSON.parse(raw) as { id?: unknown };
    if (parsed.id === lastId) break;
  }
  return frames;
}

/** `[from, from + 1, ..., to]`; empty when `to < from`. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

/** Asserts that ids are consecutive: each the previous one plus one. */
export function expectConsecutive(ids: number[]): void {
  expect(ids).toEqual(ids.length === 0 ? [] : range(ids[0], ids[0] + ids.length - 1));
}

/** Resolves after `ms`; only for pacing a sender (never to wait for an event). */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Calls `step(i)` for i = 0, 1, ... at a steady pace of one every `intervalMs` (started on time,
 * not after the previous one settled), until `until(i)` says stop or `max` calls were made.
 * Resolves to every call's result, in call order, once all have settled.
 */
export async function paced<T>(
  step: (i: number) => Promise<T>,
  { intervalMs, max, until = () => false }: { intervalMs: number; max: number; until?: (i: number) => boolean },
): Promise<T[]> {
  const started: Promise<T>[] = [];
  const t0 = Date.now();
  for (let i = 0; i < max && !until(i); i += 1) {
    const wait = t0 + i * intervalMs - Date.now();
    if (wait > 0) await pause(wait);
    started.push(step(i));
  }
  return Promise.all(started);
}
