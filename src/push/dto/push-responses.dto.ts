import { ApiProperty } from '@nestjs/swagger';
import { USER_ID } from '../../auth/user';

/** `POST /api/push/:username`'s answer (`PushResult`). */
export class PushAccepted {
  @ApiProperty({ pattern: USER_ID.source, example: 'bob' })
  username!: string;

  @ApiProperty({ type: 'integer', description: "the push's id in the user's push group", example: 1795438931376001 })
  id!: number;
}
