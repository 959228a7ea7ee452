import { Writable } from 'node:stream';
import * as ws from 'ws';
import { SharedFraming, textFrame } from '../../src/ws/frames/text-frame';

/** `ws`'s own frame parser (a client's), not declared by @types/ws. */
type Receiver = Writable & { on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): Receiver };
const { Receiver } = ws as unknown as {
  Receiver: new (options: { isServer: boolean; maxPayload: number }) => Receiver;
};

/** What a `ws` client makes of `bytes`: the messages it reads, or the error it closes with. */
function parse(bytes: Buffer): Promise<{ text: string; isBinary: boolean }[]> {
  const receiver = new Receiver({ isServer: false, maxPayload: 0 });
  const messages: { text: string; isBinary: boolean }[] = [];
  receiver.on('message', (data, isBinary) => messages.push({ text: data.toString('utf8'), isBinary }));
  return new Promise((resolve, reject) => {
    receiver.on('error', reject);
    receiver.end(bytes, () => resolve(messages));
  });
}

// Lengths at each edge of the three header sizes (7-bit, 16-bit, 64-bit lengths).
const LENGTHS = [0, 1, 125, 126, 127, 65535, 65536, 70000];

describe('textFrame', () => {
  it.each(LENGTHS)('a %i-byte payload reads back as one text message, from a Buffer or a string', async (length) => {
    const text = 'a'.repeat(length);
    await expect(parse(textFrame(Buffer.from(text)))).resolves.toEqual([{ text, isBinary: false }]);
    await expect(parse(textFrame(text))).resolves.toEqual([{ text, isBinary: false }]);
  });

  it('measures a string in UTF-8 bytes, not UTF-16 units', async () => {
    const text = `{"msg":"${'😀é'.repeat(40)}"}`; // 162 UTF-16 units, 250 bytes: a 16-bit length
    const frame = textFrame(text);
    expect(frame.length).toBe(4 + Buffer.byteLength(text));
    await expect(parse(frame)).resolves.toEqual([{ text, isBinary: false }]);
  });

  it('frames back to back read as separate messages, in order', async () => {
    const bytes = Buffer.concat([textFrame('one'), textFrame('x'.repeat(300)), textFrame('three')]);
    const texts = (await parse(bytes)).map((m) => m.text);
    expect(texts).toEqual(['one', 'x'.repeat(300), 'three']);
  });
});

describe('SharedFraming', () => {
  it('frames a payload once while the same Buffer is delivered, and anew for another Buffer', () => {
    const framing = new SharedFraming();
    const first = Buffer.from('{"a":1}');
    const framed = framing.of(first);
    expect(framing.of(first)).toBe(framed);
    const second = Buffer.from('{"a":1}');
    const reframed = framing.of(second);
    expect(reframed).not.toBe(framed);
    expect(reframed.equals(framed)).toBe(true);
    expect(reframed.subarray(2).toString()).toBe('{"a":1}');
  });
});
