import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { startApp } from './bootstrap';
import { ConfigError, loadConfig } from './config/app-config';
import { installGracefulShutdown } from './lifecycle/graceful-shutdown';
import { fallbackFormat, flushThenExit, rootLogger } from './logging/root-logger';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const app = await startApp(config);
  installGracefulShutdown(app, config);
  const layer = config.REDIS_URL ? 'redis' : 'memory';
  const url = await app.getUrl();
  new Logger('main').log({ msg: `listening on ${url} with the ${layer} channel layer`, url, layer });
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? error.stack : String(error);
  // Its own logger: the configuration that would choose the app's may be what failed.
  rootLogger(fallbackFormat(process.env), 'info').fatal({ context: 'main' }, message);
  flushThenExit(1);
});
