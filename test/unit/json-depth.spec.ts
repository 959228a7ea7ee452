import fc from 'fast-check';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../../src/common/json-depth';

/** The depth of a parsed value the slow, obvious way: objects and arrays count one level each. */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? (value as unknown[]) : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');
const nested = (depth: number, inner = '1'): string => '['.repeat(depth) + inner + ']'.repeat(depth);

describe('exceedsJsonDepth', () => {
  test('64 levels pass, 65 do not, in arrays, objects and both', () => {
    expect(exceedsJsonDepth(bytes(nested(MAX_JSON_DEPTH)))).toBe(false);
    expect(exceedsJsonDepth(bytes(nested(MAX_JSON_DEPTH + 1)))).toBe(true);
    const objects = (depth: number): string => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);
    expect(exceedsJsonDepth(bytes(objects(64)))).toBe(false);
    expect(exceedsJsonDepth(bytes(objects(65)))).toBe(true);
    expect(exceedsJsonDepth(bytes(`{"data":${nested(63)}}`))).toBe(false);
    expect(exceedsJsonDepth(bytes(`{"data":${nested(64)}}`))).toBe(true);
  });

  test('brackets inside strings do not count, escaped quotes do not end them', () => {
    expect(exceedsJsonDepth(bytes(JSON.stringify({ m: '['.repeat(500) })))).toBe(false);
    expect(exceedsJsonDepth(bytes(JSON.stringify({ m: `"\\${'{'.repeat(500)}` })))).toBe(false);
    expect(exceedsJsonDepth(bytes(JSON.stringify([`\\`, nested(70)])))).toBe(false);
    // An even run of backslashes ends the string: the brackets after it count.
    expect(exceedsJsonDepth(bytes(`["\\\\",${nested(70)}]`))).toBe(true);
  });

  test('multi-byte characters and siblings do not add depth', () => {
    const wide = JSON.stringify({ rows: Array.from({ length: 300 }, (_, i) => ({ name: `病人${i}😀`, beds: [i] })) });
    expect(exceedsJsonDepth(bytes(wide))).toBe(false);
  });

  test('stops at the first level too deep: 1 MiB of brackets costs what 65 do', () => {
    const deep = bytes('['.repeat(1 << 20));
    const started = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) exceedsJsonDepth(deep);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(500);
  });

  test('agrees with the depth of the parsed value, for any JSON (fast-check)', () => {
    const seed = Number(process.env.FUZZ_SEED ?? 42);
    // Random JSON wrapped in up to 80 arrays and objects, whose keys hold quotes, backslashes and brackets.
    const wrapped = fc
      .tuple(
        fc.jsonValue({ maxDepth: 4 }),
        fc.array(fc.option(fc.string({ unit: fc.constantFrom('"', '\\', '[', '{', 'a', '}') })), { maxLength: 80 }),
      )
      .map(([inner, wrappers]) =>
        wrappers.reduce<unknown>((value, key) => (key === null ? [value] : { [key]: value }), inner),
      );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 80 }), wrapped), fc.integer({ min: 1, max: 70 }), (value, max) => {
        const text = JSON.stringify(value);
        expect(exceedsJsonDepth(bytes(text), max)).toBe(depthOf(JSON.parse(text)) > max);
      }),
      { seed, numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
  });
});
