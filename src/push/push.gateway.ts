import { isUserId, USER_ID_RULE } from '../auth/user';
import { HandshakeRefusal, type WsRoute } from '../ws/ws-route';
import { RoutedGateway } from '../ws/routed-gateway.decorator';
import { pushGroup } from './push.service';

export interface PushParams {
  username: string;
}

const pushRoute: WsRoute<PushParams> = {
  path: '/push/:username',
  parse: ({ username }) => {
    if (!isUserId(username)) throw new HandshakeRefusal(400, USER_ID_RULE);
    return { username };
  },
  authorize: (user, { username }) => user.id === username,
  groups: (_user, { username }) => [pushGroup(username)],
  resume: 'inbox',
};

/** `/push/:username`: every push to the user, on every tab. It takes no frames but `ping`. */
@RoutedGateway(pushRoute)
export class PushGateway {}
