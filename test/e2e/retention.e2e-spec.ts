import type { IncomingMessage, Server } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Instance } from '../support/instance';
import type { TestClient } from '../support/ws-client';

/**
 * An open socket keeps only what it needs: not its upgrade request (headers, the URL with the
 * token), which the listeners of the socket once held through a shared closure context, about
 * 1.5 KiB for every connection (bench/README.md, idle memory).
 */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

describe('what an open socket retains', () => {
  let instance: Instance;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    instance = await Instance.start();
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await instance?.stop();
  });

  test.each(['/socket/all', '/push/alice', '/ws/chat/alice_bob', '/ws/room/lobby'])(
    'the upgrade request of %s is collected once the socket is open',
    async (path) => {
      const server = instance.app.getHttpServer() as Server;
      const requests: WeakRef<IncomingMessage>[] = [];
      const remember = (request: IncomingMessage): void => void requests.push(new WeakRef(request));
      server.prependListener('upgrade', remember);
      try {
        // Open means the server has answered 101, which it does once the socket is wired up.
        clients.push(await instance.connect(path, { token: await instance.login('alice') }));
      } finally {
        server.off('upgrade', remember);
      }
      expect(requests).toHaveLength(1);
      // Two passes: a first full GC may only clear weak cells the next one reclaims.
      collectGarbage();
      await new Promise((resolve) => setImmediate(resolve));
      collectGarbage();
      expect(requests[0].deref()).toBeUndefined();
    },
  );
});
