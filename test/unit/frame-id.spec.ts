import { idOf, stampId, unnumbered } from '../../src/wire/numbered';

/** `idOf` reads the id that `stampId` wrote, from the frame's last bytes, and nothing else. */
describe('the id at the end of a numbered frame', () => {
  it.each([0, 7, 1795438931376000, Number.MAX_SAFE_INTEGER])('reads back %d', (id) => {
    expect(idOf(Buffer.from(stampId(unnumbered({ message: 'a "quoted" }' }), id)))).toBe(id);
  });

  it.each([
    ['a frame without an id', '{"n":5}'],
    ['an id that is not the last field', '{"id":5,"n":"x"}'],
    ['an id inside a string', '{"m":"\\"id\\":5}"'],
    ['a key ending in id', '{"pid":5}'],
    ['no digits', '{"id":}'],
    ['not an object', '5}'],
    ['empty', ''],
    ['a direct frame', '{"marker":1}'],
  ])('is NaN for %s', (_label, text) => {
    expect(idOf(Buffer.from(text))).toBeNaN();
  });
});
