import { IsString } from 'class-validator';
import { IsClientMessageId } from '../../common/client-message-id';

/** `/ws/room/:room` client frame. The message's length cap is a setting (`MESSAGE_MAX_CHARS`). */
export class SendRoomDto {
  @IsString()
  message!: string;

  @IsClientMessageId()
  cid?: string;
}
