import { Injectable } from '@nestjs/common';
import type { ClassConstructor } from 'class-transformer';
import { UnknownTopicError } from '../common/errors';
import { validateInput } from '../common/validation';
import { ActiveVisitDataDto, PatientPageDataDto, type TopicPayloadDto } from './dto/topic-payload.dto';

/**
 * The topics a backend may notify, each with the DTO its payload must pass. A new topic is one
 * line here and a DTO; its name must fit the group-name alphabet (it keys the snapshot).
 */
export const TOPICS = {
  all_patient_page_data: PatientPageDataDto,
  all_active_visit_data: ActiveVisitDataDto,
} satisfies Record<string, ClassConstructor<TopicPayloadDto>>;

export type TopicName = keyof typeof TOPICS;

@Injectable()
export class TopicRegistry {
  /** Throws `UnknownTopicError` for a topic no code registered. */
  resolve(topic: string): TopicName {
    if (!Object.hasOwn(TOPICS, topic)) throw new UnknownTopicError(topic);
    return topic as TopicName;
  }

  /** Throws `UnknownTopicError` or `InvalidInputError` (naming the field). */
  async validate(topic: string, body: unknown): Promise<{ topic: TopicName; payload: TopicPayloadDto }> {
    const name = this.resolve(topic);
    return { topic: name, payload: await validateInput(TOPICS[name], body, { strict: true }) };
  }
}
