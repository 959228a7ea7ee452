import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { startApp } from './bootstrap';
import { ConfigError, loadConfig } from './config/app-config';
import { installGracefulShutdown } from './lifecycle/graceful-shutdown';
import { fallbackFormat, flushThenExit, rootLogger } from './logging/root-logger';

const ENV_FILE = '.env';
// NAME=value, optionally after `export`; blank lines and # comments are fine too.
const ENV_LINE = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=|^\s*(?:#.*)?$/;

/**
 * Reads `.env` from the working directory into process.env (values already set win); no file is
 * fine. Node's own reader skips a line it cannot read without a word, so each line is checked
 * first: a typo must stop the start rather than silently drop a setting.
 */
function loadEnvFile(): void {
  let text: string;
  try {
    text = readFileSync(ENV_FILE, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  let quote: string | undefined;
  text.split(/\r?\n/).forEach((line, index) => {
    if (quote !== undefined) {
      if (line.includes(quote)) quote = undefined;
      return;
    }
    if (!ENV_LINE.test(line)) {
      throw new ConfigError(`${ENV_FILE} line ${index + 1}: expected NAME=value, a # comment or a blank line`);
    }
    const opening = /=\s*(["'`])(.*)$/.exec(line);
    if (opening && !opening[2].includes(opening[1])) quote = opening[1];
  });
  process.loadEnvFile(ENV_FILE);
}

async function main(): Promise<void> {
  loadEnvFile();
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
