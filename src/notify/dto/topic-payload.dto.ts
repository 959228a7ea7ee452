import { IsTopicData, type TopicData } from '../../common/json-value';

/** `POST /api/notify/:topic` body, and the microservice `notify` event's `data`. */
export class TopicPayloadDto {
  @IsTopicData()
  data!: TopicData;
}

/** The patients page of the seeds: a string, a list of patients, or an object. */
export class PatientPageDataDto extends TopicPayloadDto {}

/** Active visits of the seeds. */
export class ActiveVisitDataDto extends TopicPayloadDto {}
