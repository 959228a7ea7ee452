import { ApiProperty } from '@nestjs/swagger';
import { TOPIC_DATA } from '../../docs/api-errors';
import { IsTopicData, type TopicData } from '../../common/json-value';

/** `POST /api/notify/:topic` body, and the microservice `notify` event's `data`. */
export class TopicPayloadDto {
  @ApiProperty({
    ...TOPIC_DATA,
    description:
      'any JSON string, array or object (null, numbers and booleans are refused): sent to the sockets as it is',
    example: [{ name: 'Zhang San', bed: 12 }],
  })
  @IsTopicData()
  data!: TopicData;
}

/** The patients page of the seeds: a string, a list of patients, or an object. */
export class PatientPageDataDto extends TopicPayloadDto {}

/** Active visits of the seeds. */
export class ActiveVisitDataDto extends TopicPayloadDto {}
