import { IsString } from 'class-validator';

/** `/socket/all` client frame: `{"type": "<topic>"}` asks for the topic's current snapshot. */
export class SnapshotRequestDto {
  /** Any string: one that no code registered is an unknown topic (404), however long. */
  @IsString()
  type!: string;
}
