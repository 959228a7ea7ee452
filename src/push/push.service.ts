import { Inject, Injectable } from '@nestjs/common';
import { isUserId, USER_ID_RULE } from '../auth/user';
import { InvalidInputError } from '../common/errors';
import { pushFrame } from '../wire/serialise';
import type { JsonValue } from '../common/json-value';
import { ChannelLayer } from '../layer/channel-layer';
import { groupName, type GroupName } from '../layer/group-name';

/** Each user's push group. `.` cannot appear in a user id, so no room or chat can take its name. */
export function pushGroup(username: string): GroupName {
  return groupName(`push.${username}`);
}

export interface PushResult {
  username: string;
  id: number;
}

/** The seeds' `push(username, event)`, callable from every module, reaches every tab of a user. */
@Injectable()
export class PushService {
  constructor(@Inject(ChannelLayer) private readonly layer: ChannelLayer) {}

  /**
   * Sends `{"event": event, "id": <push id>}` to every `/push/<username>` socket, everywhere; with
   * none open, it waits in the user's inbox (push history) for the next connect.
   */
  async push(username: string, event: JsonValue): Promise<PushResult> {
    if (!isUserId(username)) throw new InvalidInputError([USER_ID_RULE]);
    const id = await this.layer.send(pushGroup(username), pushFrame(event), { inbox: true });
    return { username, id };
  }
}
