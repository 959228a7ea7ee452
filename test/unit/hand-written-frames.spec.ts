import {
  chatMessageFrame,
  gapFrame,
  pushFrame,
  replyText,
  roomMessageFrame,
  topicFrame,
  type ChatMessage,
  type RoomMessage,
} from '../../src/wire/serialise';
import { unnumbered } from '../../src/wire/numbered';

/** The hand-written frame texts of the chat path say exactly what `JSON.stringify` would. */
describe('frame texts written by hand', () => {
  const MESSAGES = [
    'hi',
    '',
    'say "hi"\\n',
    'line\nbreak\ttab\u0000',
    '\u2028\u2029',
    'héllo 你好 😀',
    '\ud800 lone',
    '</script>',
  ];

  it.each(MESSAGES)('a chat message %j reads as JSON.stringify of the object writes it', (message) => {
    const body: ChatMessage = { message, from: 'u-1', group: '12_u-1', ts: Date.now() };
    const text = chatMessageFrame(body);
    expect(text).toBe(unnumbered(body));
    expect(JSON.parse(text)).toEqual(body);
  });

  it.each(MESSAGES)('a room message %j reads as JSON.stringify of the object writes it', (message) => {
    const body: RoomMessage = { message, from: 'u_1', room: 'lobby-2', ts: Date.now() };
    expect(roomMessageFrame(body)).toBe(unnumbered(body));
  });

  it('writes topic, push and gap frames as JSON.stringify does', () => {
    const data = [{ name: 'Zhang San', bed: 12 }, 'é"'];
    expect(topicFrame('all_patient_page_data', JSON.stringify(data))).toBe(
      unnumbered({ type: 'all_patient_page_data', data }),
    );
    expect(pushFrame({ kind: 'visit', note: '\u2028' })).toBe(unnumbered({ event: { kind: 'visit', note: '\u2028' } }));
    for (const gap of [
      { since: 0, first: 1795438931376000 },
      { since: 9007199254740991, first: null },
    ]) {
      expect(gapFrame(gap)).toBe(JSON.stringify({ type: 'gap', ...gap }));
    }
  });

  it('writes an ack by hand and every other reply with JSON.stringify', () => {
    const replies: object[] = [
      { type: 'ack', id: 1764680000000001 },
      { type: 'ack', id: 0 },
      { type: 'ack', data: { id: 3 } }, // a topic named "ack": not an ack
      { type: 'ack', id: 3, extra: true },
      { type: 'ack', id: 1.5 },
      { type: 'error', code: 400, msg: 'bad "frame"' },
      { type: 'all_patient_page_data', data: null },
    ];
    for (const reply of replies) expect(replyText(reply)).toBe(JSON.stringify(reply));
  });
});
