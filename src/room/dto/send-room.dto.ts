import { IsString, MaxLength } from 'class-validator';

/** `/ws/room/:room` client frame. */
export class SendRoomDto {
  @IsString()
  @MaxLength(16384)
  message!: string;
}
