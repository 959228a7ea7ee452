import { IsDefined, IsString, MaxLength } from 'class-validator';
import type { JsonValue } from '../../common/json-value';

/** Microservice `notify` event: `client.emit('notify', { topic, data })`. */
export class NotifyEventDto {
  @IsString()
  @MaxLength(100)
  topic!: string;

  @IsDefined()
  data!: JsonValue;
}
