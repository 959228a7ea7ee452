import { IsOptional, IsString } from 'class-validator';
import { IsClientMessageId } from '../../common/client-message-id';

/** `/ws/chat/:group` client frame. The message's length cap is a setting (`MESSAGE_MAX_CHARS`). */
export class SendChatDto {
  @IsString()
  message!: string;

  /** The other participant; optional, and refused if it names anyone else. */
  @IsOptional()
  @IsString()
  to_user?: string;

  @IsClientMessageId()
  cid?: string;
}
