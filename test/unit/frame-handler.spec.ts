import 'reflect-metadata';
import {
  BadRequestException,
  ForbiddenException,
  HttpException,
  InternalServerErrorException,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import { SendChatDto } from '../../src/chat/dto/send-chat.dto';
import { InvalidInputError, UnknownTopicError } from '../../src/common/errors';
import { LayerUnavailableError } from '../../src/layer/channel-layer';
import { FrameHandler } from '../../src/ws/frames/frame-dispatcher';
import { OnFrame, type FrameReply } from '../../src/ws/frames/on-frame.decorator';
import type { Peer } from '../../src/ws/peers/peer';

/**
 * The dispatch of one frame to a gateway's `@OnFrame` method, without a socket: what reaches the
 * method, and what the sender is answered. The e2e suites prove the same through real sockets;
 * an unexpected exception (the 500) can only be provoked here.
 */
class Replies {
  readonly texts: string[] = [];
  readonly peer = {
    sendText: (text: string) => this.texts.push(text),
    sendError: (code: number, msg: string) => this.texts.push(JSON.stringify({ type: 'error', code, msg })),
  } as unknown as Peer;

  get frames(): unknown[] {
    return this.texts.map((text): unknown => (text.startsWith('{') ? JSON.parse(text) : text));
  }
}

const silent = new Logger('test');
beforeAll(() => jest.spyOn(silent, 'error').mockImplementation(() => undefined));

/** A handler for a chat-like DTO whose method answers with `answer(frame)`. */
function chatHandler(answer: (frame: SendChatDto) => FrameReply | Promise<FrameReply>) {
  const seen: unknown[] = [];
  class Gateway {
    @OnFrame(SendChatDto)
    send(_peer: Peer, frame: SendChatDto): FrameReply | Promise<FrameReply> {
      seen.push(frame);
      return answer(frame);
    }
  }
  const handler = FrameHandler.of(new Gateway(), silent)!;
  return { handler, seen };
}

describe('FrameHandler', () => {
  it('hands the method a validated DTO instance and answers with its object reply', async () => {
    const { handler, seen } = chatHandler(() => ({ type: 'ack', id: 7 }));
    const replies = new Replies();
    await handler.handle(replies.peer, { message: 'hi', to_user: 'bob' });
    expect(seen).toEqual([Object.assign(new SendChatDto(), { message: 'hi', to_user: 'bob' })]);
    expect(seen[0]).toBeInstanceOf(SendChatDto);
    expect(replies.frames).toEqual([{ type: 'ack', id: 7 }]);
    expect(handler.takesText).toBe(false);
  });

  it('answers a text reply as it is, and nothing for an undefined one', async () => {
    const replies = new Replies();
    await chatHandler(() => 'plain').handler.handle(replies.peer, { message: 'a' });
    await chatHandler(async () => undefined).handler.handle(replies.peer, { message: 'b' });
    expect(replies.texts).toEqual(['plain']);
  });

  it('refuses an invalid frame with 400 naming the field, without calling the method', async () => {
    const { handler, seen } = chatHandler(() => 'never');
    const replies = new Replies();
    await handler.handle(replies.peer, { message: 5 });
    await handler.handle(replies.peer, ['x']);
    expect(seen).toEqual([]);
    expect(replies.frames).toEqual([
      { type: 'error', code: 400, msg: expect.stringContaining('message') },
      { type: 'error', code: 400, msg: 'a frame must be a JSON object' },
    ]);
  });

  it.each([
    ['an invalid input', new InvalidInputError(['a is bad', 'b is bad']), 400, 'a is bad; b is bad'],
    ['an unknown topic', new UnknownTopicError('nope'), 404, 'unknown topic: nope'],
    ['a layer outage', new LayerUnavailableError('down'), 503, 'service unavailable: message not sent'],
    ['a Nest ForbiddenException', new ForbiddenException('not for you'), 403, 'not for you'],
    ['a Nest NotFoundException without a message', new NotFoundException(), 404, 'Not Found'],
    [
      'a Nest exception with several messages',
      new BadRequestException(['a is bad', 'b is bad']),
      400,
      'a is bad; b is bad',
    ],
    ['an HttpException with a string body', new HttpException('slow down', 429), 429, 'slow down'],
    ['an HttpException with an object body', new HttpException({ reason: 'x' }, 409), 409, 'Http Exception'],
    ['a Nest 5xx exception (not shown)', new InternalServerErrorException('db password wrong'), 500, 'internal error'],
    ['anything else', new TypeError('boom'), 500, 'internal error'],
  ])('maps %s thrown by the method to its error frame, and never rejects', async (_label, error, code, msg) => {
    const replies = new Replies();
    await expect(chatHandler(() => Promise.reject(error)).handler.handle(replies.peer, { message: 'x' })).resolves.toBe(
      undefined,
    );
    await chatHandler(() => {
      throw error;
    }).handler.handle(replies.peer, { message: 'x' });
    expect(replies.frames).toEqual([
      { type: 'error', code, msg },
      { type: 'error', code, msg },
    ]);
  });

  it('is undefined for a gateway without an @OnFrame method', () => {
    class Quiet {}
    expect(FrameHandler.of(new Quiet(), silent)).toBeUndefined();
  });

  it('passes raw text through when the method takes no DTO', async () => {
    const seen: unknown[] = [];
    class Echo {
      @OnFrame()
      echo(_peer: Peer, text: string): string {
        seen.push(text);
        return `got ${text}`;
      }
    }
    const handler = FrameHandler.of(new Echo(), silent)!;
    const replies = new Replies();
    await handler.handle(replies.peer, 'not json');
    expect(handler.takesText).toBe(true);
    expect(seen).toEqual(['not json']);
    expect(replies.texts).toEqual(['got not json']);
  });
});

describe('@OnFrame', () => {
  it('allows one frame method per gateway', () => {
    const declareTwo = (): unknown => {
      class Twice {
        @OnFrame(SendChatDto)
        a(_peer: Peer, _frame: SendChatDto): void {}
        @OnFrame(SendChatDto)
        b(_peer: Peer, _frame: SendChatDto): void {}
      }
      return Twice;
    };
    expect(declareTwo).toThrow('one @OnFrame method per gateway');
  });
});
