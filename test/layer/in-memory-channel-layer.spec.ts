import { Logger } from '@nestjs/common';
import { InMemoryChannelLayer } from '../../src/layer/in-memory-channel-layer';
import { describeChannelLayerContract } from './channel-layer.contract';
import { TEST_HISTORY } from './channel-layer.fixtures';

const started: InMemoryChannelLayer[] = [];

// The contract makes a member throw on purpose; its logged error is expected noise.
beforeAll(() => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined));
afterAll(() => jest.restoreAllMocks());

describeChannelLayerContract('memory', {
  // One process is the whole world for this layer: two instances would share nothing.
  maxInstances: 1,
  async instances(n, history = TEST_HISTORY) {
    if (n !== 1) throw new Error('the memory layer has exactly one instance');
    const layer = new InMemoryChannelLayer(history);
    started.push(layer);
    return [layer];
  },
  async cleanup() {
    for (const layer of started.splice(0)) layer.onApplicationShutdown();
  },
});
