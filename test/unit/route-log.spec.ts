import { wsRouteLines } from '../../src/ws/route-log';
import { anyUser, noParams } from '../../src/ws/ws-route';

describe('wsRouteLines', () => {
  test("each gateway's route in Nest's shape for HTTP routes", () => {
    const route = { path: '/ws/chat/:group', parse: noParams, authorize: anyUser, groups: () => [] };
    expect(wsRouteLines([{ gateway: 'ChatGateway', route }])).toEqual([
      'ChatGateway {/ws/chat/:group}:',
      'Mapped {/ws/chat/:group, WS} route',
    ]);
  });
});
