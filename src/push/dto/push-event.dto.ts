import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsString, Matches } from 'class-validator';
import type { JsonValue } from '../../common/json-value';
import { USER_ID, USER_ID_RULE } from '../../auth/user';
import { ANY_JSON_BUT_NULL } from '../../docs/api-errors';

/** `POST /api/push/:username` body. */
export class PushBodyDto {
  @ApiProperty({
    ...ANY_JSON_BUT_NULL,
    description: 'any JSON value but null: every socket of the user gets `{"event": <this>, "id": <push id>}`',
    example: { kind: 'visit', id: 7 },
  })
  @IsDefined({ message: 'event must be present and not null' })
  event!: JsonValue;
}

/** Microservice `push` event: `client.emit('push', { username, event })`. */
export class PushEventDto extends PushBodyDto {
  @IsString()
  @Matches(USER_ID, { message: USER_ID_RULE })
  username!: string;
}
