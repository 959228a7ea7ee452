import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { startApp } from './bootstrap';
import { ConfigError, loadConfig } from './config/app-config';
import { installGracefulShutdown } from './lifecycle/graceful-shutdown';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const app = await startApp(config);
  installGracefulShutdown(app, config);
  const layer = config.REDIS_URL ? 'redis' : 'memory';
  new Logger('main').log(`listening on ${await app.getUrl()} with the ${layer} channel layer`);
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? error.stack : String(error);
  new Logger('main').error(message);
  process.exit(1);
});
