import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { startApp } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/app-config';
import { TestClient, type ConnectOptions } from './ws-client';

/** One running instance of the service on a free port of 127.0.0.1. */
export class Instance {
  private constructor(
    readonly app: INestApplication,
    readonly http: string,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<Instance> {
    const config = loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', ...env });
    const app = await startApp(config, { logger: ['error'] });
    const address = app.getHttpServer().address() as AddressInfo;
    return new Instance(app, `http://127.0.0.1:${address.port}`);
  }

  get ws(): string {
    return this.http.replace(/^http/, 'ws');
  }

  async stop(): Promise<void> {
    await this.app.close();
  }

  /** A token from the real dev-login route. */
  async login(username: string, roles: string[] = []): Promise<string> {
    const response = await this.request('POST', '/api/auth/dev-login', { body: { username, roles } });
    if (response.status !== 200) throw new Error(`dev-login answered ${response.status}`);
    return (response.body as { token: string }).token;
  }

  async connect(path: string, options: ConnectOptions = {}): Promise<TestClient> {
    return TestClient.open(this.ws + path, options);
  }

  async request(
    method: string,
    path: string,
    options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const response = await fetch(this.http + path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(5000),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  }
}
