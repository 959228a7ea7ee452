import { Logger } from '@nestjs/common';
import { RedisLayers } from '../support/redis-layers';
import { RedisServer } from '../support/redis-server';
import { describeChannelLayerContract } from './channel-layer.contract';

// A real redis-server on a free port for this file; never skipped (habit 3 of STYLE.md).
let server: RedisServer | undefined;
beforeAll(async () => {
  server = await RedisServer.start();
  // The contract makes a member throw on purpose; its logged error is expected noise.
  jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
});
afterAll(async () => {
  jest.restoreAllMocks();
  await server?.stop();
});

describeChannelLayerContract(
  'redis',
  new RedisLayers(() => {
    if (!server) throw new Error('redis-server did not start');
    return server;
  }),
);
