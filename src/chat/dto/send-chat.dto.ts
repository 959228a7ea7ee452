import { IsString } from 'class-validator';
import { IsClientMessageId } from '../../common/client-message-id';
import { IsOmittable } from '../../common/omittable';

/** `/ws/chat/:group` client frame. The message's length cap is a setting (`MESSAGE_MAX_CHARS`). */
export class SendChatDto {
  @IsString()
  message!: string;

  /** The other participant; may be left out, and refused if it names anyone else (or is null). */
  @IsOmittable()
  @IsString()
  to_user?: string;

  @IsClientMessageId()
  cid?: string;
}
