import { IsString, MaxLength } from 'class-validator';

/** `/socket/all` client frame: `{"type": "<topic>"}` asks for the topic's current snapshot. */
export class SnapshotRequestDto {
  @IsString()
  @MaxLength(100)
  type!: string;
}
