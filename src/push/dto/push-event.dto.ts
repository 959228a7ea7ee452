import { IsDefined, IsString, Matches } from 'class-validator';
import type { JsonValue } from '../../common/json-value';
import { USER_ID, USER_ID_RULE } from '../../auth/user';

/** `POST /api/push/:username` body. */
export class PushBodyDto {
  @IsDefined({ message: 'event must be present and not null' })
  event!: JsonValue;
}

/** Microservice `push` event: `client.emit('push', { username, event })`. */
export class PushEventDto extends PushBodyDto {
  @IsString()
  @Matches(USER_ID, { message: USER_ID_RULE })
  username!: string;
}
