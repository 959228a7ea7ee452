import { Inject, Injectable } from '@nestjs/common';
import { topicFrame, type TopicFrame } from '../wire/serialise';
import type { TopicData } from '../common/json-value';
import { ChannelLayer } from '../layer/channel-layer';
import { groupName } from '../layer/group-name';
import { TopicRegistry, type TopicName } from './topic-registry';

/** The group every `/socket/all` socket joins (the seeds' AllDataConsumers). */
export const ALL_DATA_GROUP = groupName('chat_all_data');

export interface NotifyResult {
  topic: TopicName;
  id: number;
}

/**
 * Typed update events for `/socket/all`: what REST controllers and other backends call. The
 * snapshot and the broadcast go to the layer in one step, so every instance answers a snapshot
 * request with the data of the last broadcast.
 */
@Injectable()
export class NotifyService {
  constructor(
    @Inject(ChannelLayer) private readonly layer: ChannelLayer,
    private readonly topics: TopicRegistry,
  ) {}

  /** Validates `body` (`{"data": …}`) against the topic's DTO, stores it and broadcasts it. */
  async notify(topic: string, body: unknown): Promise<NotifyResult> {
    const { topic: name, payload } = await this.topics.validate(topic, body);
    const data = JSON.stringify(payload.data);
    // `data` is serialised once, for both the snapshot and the frame.
    const snapshot = { key: groupName(name), value: data };
    const id = await this.layer.send(ALL_DATA_GROUP, topicFrame(name, data), { snapshot });
    return { topic: name, id };
  }

  /** `{"type", "data"}` with the topic's current snapshot, or null data if none was sent yet. */
  async snapshot(topic: string): Promise<TopicFrame> {
    const name = this.topics.resolve(topic);
    const stored = await this.layer.readSnapshot(groupName(name));
    return { type: name, data: stored === null ? null : (JSON.parse(stored) as TopicData) };
  }
}
