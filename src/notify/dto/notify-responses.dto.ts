import { ApiProperty } from '@nestjs/swagger';
import { TOPIC_DATA } from '../../docs/api-errors';
import { TOPICS } from '../topic-registry';

/** `POST /api/notify/:topic`'s answer (`NotifyResult`). */
export class NotifyAccepted {
  @ApiProperty({ enum: Object.keys(TOPICS), example: 'all_patient_page_data' })
  topic!: string;

  @ApiProperty({
    type: 'integer',
    description: 'the id the broadcast frame carries on `/socket/all`',
    example: 1795438931376000,
  })
  id!: number;
}

/** `GET /api/notify/:topic`'s answer: the frame `/socket/all` answers a snapshot request with. */
export class TopicSnapshot {
  @ApiProperty({ enum: Object.keys(TOPICS), example: 'all_patient_page_data' })
  type!: string;

  @ApiProperty({
    ...TOPIC_DATA,
    nullable: true,
    description: 'the data of the last notify of this topic, or null when none was sent yet',
    example: [{ name: 'Zhang San', bed: 12 }],
  })
  data!: unknown;
}
