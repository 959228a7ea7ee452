import type { Instance } from './instance';
import type { ConnectOptions, TestClient } from './ws-client';

/**
 * The sockets a suite opened, so each test can close all of its own in `afterEach` and none is
 * left open behind a failed assertion.
 */
export class Sockets {
  private readonly open: TestClient[] = [];

  async connect(instance: Instance, path: string, options: ConnectOptions = {}): Promise<TestClient> {
    const client = await instance.connect(path, options);
    this.open.push(client);
    return client;
  }

  /** Opens `path` on `instance` as `user`, with a token from dev-login. */
  async as(instance: Instance, user: string, path: string, options: ConnectOptions = {}): Promise<TestClient> {
    return this.connect(instance, path, { ...options, token: await instance.login(user) });
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.open.splice(0).map((client) => client.close()));
  }
}
