import { OnFrame } from '../ws/frames/on-frame.decorator';
import type { Peer } from '../ws/peers/peer';
import { RoutedGateway } from '../ws/routed-gateway.decorator';
import { anyUser, noParams, type WsRoute } from '../ws/ws-route';

const echoRoute: WsRoute<Record<string, never>> = {
  path: '/chat/socket/',
  parse: noParams,
  authorize: anyUser,
  groups: () => [],
};

const pad = (n: number): string => String(n).padStart(2, '0');

/** `YYYY-MM-DD HH:MM:SS` in the server's local time, as the seed's `time.strftime` printed it. */
function receivedAt(date: Date): string {
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** `/chat/socket/` (the seeds' ChatView): every text is acknowledged; `close` closes with 1000. */
@RoutedGateway(echoRoute)
export class EchoGateway {
  /** Takes the text as it came: no DTO. */
  @OnFrame()
  echo(peer: Peer, text: string): string | undefined {
    if (text === 'close') {
      peer.close(1000, 'bye');
      return undefined;
    }
    return `我收到了,${receivedAt(new Date())}`;
  }
}
