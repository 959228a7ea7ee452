import { IsOptional, IsString, MaxLength } from 'class-validator';

/** `/ws/chat/:group` client frame. */
export class SendChatDto {
  @IsString()
  @MaxLength(16384)
  message!: string;

  /** The other participant; optional, and refused if it names anyone else. */
  @IsOptional()
  @IsString()
  to_user?: string;
}
