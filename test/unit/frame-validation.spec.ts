import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { IsInt, IsString, validate } from 'class-validator';
import { SendChatDto } from '../../src/chat/dto/send-chat.dto';
import { InvalidInputError } from '../../src/common/errors';
import { quickCheck } from '../../src/common/quick-check';
import { validateFlatFrame, validateInput, validationMessages } from '../../src/common/validation';
import { SnapshotRequestDto } from '../../src/socket-all/dto/snapshot-request.dto';
import { SendRoomDto } from '../../src/room/dto/send-room.dto';

/**
 * `validateFlatFrame` (the gateways' fast path) must give every frame DTO the verdict that
 * class-transformer + class-validator give (Nest's ValidationPipe), with the same messages; and so
 * must `validateInput`, which REST bodies and microservice events take.
 */
const DTOS: (new () => object)[] = [SendChatDto, SendRoomDto, SnapshotRequestDto];

// '😀' × 8,193 is 16,386 UTF-16 units but 8,193 characters for class-validator's MaxLength.
const VALUES: unknown[] = [
  'x',
  '',
  'm'.repeat(16384),
  'm'.repeat(16385),
  '😀'.repeat(8193),
  5,
  0,
  null,
  true,
  [],
  ['x'],
  {},
  { a: 1 },
];
const FIELDS = ['message', 'to_user', 'type', 'other'];

/** Every object of up to two of the fields above with any of the values, plus odd shapes. */
function inputs(): unknown[] {
  const objects: unknown[] = [{}];
  for (const f of FIELDS) {
    for (const v of VALUES) {
      objects.push({ [f]: v });
      for (const g of FIELDS) if (g > f) objects.push({ [f]: v, [g]: 'y' }, { [f]: v, [g]: 7 });
    }
  }
  const hostile = ['{"__proto__":{"message":"x","type":"t"}}', '{"constructor":{"message":"x"},"type":"t"}'];
  return [...objects, ...hostile.map((text) => JSON.parse(text) as unknown), null, 'text', 5, [], [{ message: 'x' }]];
}

/** The reference: what Nest's ValidationPipe does with a body. */
async function classTransformerVerdict(dto: new () => object, input: unknown): Promise<void> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new InvalidInputError(['not an object']);
  const errors = await validate(plainToInstance<object, unknown>(dto, input), { forbidUnknownValues: true });
  if (errors.length > 0) throw new InvalidInputError(validationMessages(errors));
}

async function verdict(run: () => unknown): Promise<string> {
  try {
    await run();
    return 'valid';
  } catch (error) {
    if (error instanceof InvalidInputError) return `invalid: ${error.message}`;
    throw error;
  }
}

describe('validateFlatFrame', () => {
  const all = inputs();

  test.each(DTOS.map((dto) => ({ dto, name: dto.name })))(
    '$name: the same verdict and messages as class-transformer + class-validator',
    async ({ dto }) => {
      let valid = 0;
      for (const input of all) {
        const slow = await verdict(() => classTransformerVerdict(dto, input));
        const fast = await verdict(() => validateFlatFrame(dto, input));
        const body = await verdict(() => validateInput(dto, input));
        if (!Array.isArray(input) && typeof input === 'object' && input !== null) {
          expect({ input, fast, body }).toEqual({ input, fast: slow, body: slow });
        } else {
          expect(fast).toBe('invalid: a frame must be a JSON object');
          expect(body).toBe('invalid: the body must be a JSON object');
          expect(slow).toMatch(/^invalid: /);
        }
        if (fast === 'valid') valid++;
      }
      expect(valid).toBeGreaterThan(3); // the grid holds valid frames, not only refusals
    },
  );

  test('every frame DTO has a quick check (otherwise every frame pays for class-validator)', () => {
    for (const dto of DTOS) expect(quickCheck(dto)).not.toBeNull();
  });

  test('a DTO with a decorator the quick check does not know gets none', () => {
    class Counted {
      @IsString()
      name!: string;

      @IsInt()
      count!: number;
    }
    expect(quickCheck(Counted)).toBeNull();
  });

  test('the instance is of the DTO class and keeps every other field', () => {
    const frame = validateFlatFrame(SendChatDto, { message: 'hi', extra: 1 });
    expect(frame).toBeInstanceOf(SendChatDto);
    expect(frame).toMatchObject({ message: 'hi', extra: 1 });
  });

  test('__proto__ in a frame neither changes the prototype nor validates', () => {
    const input = JSON.parse('{"__proto__":{"message":"x"},"message":"ok"}') as object;
    const frame = validateFlatFrame(SendChatDto, input);
    expect(Object.getPrototypeOf(frame)).toBe(SendChatDto.prototype);
    expect(frame.message).toBe('ok');
  });
});
