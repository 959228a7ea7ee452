import { Logger, type LoggerService } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Server as HttpServer } from 'node:http';
import { AppConfig } from '../config/app-config';
import { ChannelLayer } from '../layer/channel-layer';
import { flushThenExit } from '../logging/root-logger';
import { PeerHub } from '../ws/peers/peer-hub';
import { DrainState } from './drain-state';
import { HttpDrain } from './http-drain';

/** What shutdown does to the application, step by step (see `installGracefulShutdown`). */
export interface ShutdownSteps {
  /** At once, on the signal: no HTTP connection is kept alive any more. */
  stopKeepAlive(): void;
  /** Requests under way answered, the layer settled, and every socket's queued bytes written. */
  flush(): Promise<void>;
  /** Sockets open now. */
  openSockets(): number;
  /** Sends the close frame to every socket; resolves once all of them have closed. */
  closeSockets(code: number, reason: string): Promise<void>;
  /** Cuts (terminates) the sockets still open; returns how many. */
  cutSockets(): number;
  /** `app.close()`: the layer leaves presence, the transports and the HTTP server close. */
  closeApp(): Promise<void>;
}

export interface ShutdownOptions {
  /** The process exits within this many ms of the first signal, whatever its clients do. */
  graceMs: number;
  exit(code: number): void;
  logger?: Pick<LoggerService, 'log' | 'warn' | 'error'>;
}

const CLOSE_CODE = 1001;
const CLOSE_REASON = 'server shutting down';

/**
 * The phases of a graceful shutdown, each bounded by a fraction of the grace: until ½ of it,
 * wait for what is queued to be written; then close every socket with 1001 and wait for the
 * clients to answer until ¾, cutting those that have not; then `app.close()` and exit 0. A hard
 * timer exits with 1 at the full grace if a phase hangs past its bound (`app.close()` has none).
 * Draining (handshakes and new requests refused) starts at the signal and lasts to the end.
 */
export class GracefulShutdown {
  private readonly logger: Pick<LoggerService, 'log' | 'warn' | 'error'>;

  constructor(
    private readonly steps: ShutdownSteps,
    private readonly drain: DrainState,
    private readonly options: ShutdownOptions,
  ) {
    this.logger = options.logger ?? new Logger('Shutdown');
  }

  /** Starts shutting down on `signal`; a later signal only says so (nothing starts again). */
  async begin(signal: string): Promise<void> {
    const start = Date.now();
    if (!this.drain.begin(start)) {
      this.logger.warn(`${signal} again: already shutting down`);
      return;
    }
    const grace = this.options.graceMs;
    this.logger.log(`${signal}: draining, exit within ${grace} ms`);
    this.steps.stopKeepAlive();
    // Unref'd: the hard exit is a bound, not a reason to stay up.
    setTimeout(() => this.exit(1, `grace of ${grace} ms over: exit 1`), grace).unref();
    try {
      await this.phases(start, grace);
    } catch (error) {
      this.logger.error(`shutdown failed: ${error instanceof Error ? error.stack : String(error)}`);
      this.exit(1, 'exit 1');
    }
  }

  private async phases(start: number, grace: number): Promise<void> {
    const until = (fraction: number): number => start + grace * fraction - Date.now();
    const flushed = await within(this.steps.flush(), until(1 / 2));
    if (flushed) this.logger.log('queued data written');
    else this.logger.warn(`queued data not all written by ${grace / 2} ms: closing anyway`);

    const open = this.steps.openSockets();
    const closed = await within(this.steps.closeSockets(CLOSE_CODE, CLOSE_REASON), until(3 / 4));
    const cut = closed ? 0 : this.steps.cutSockets();
    this.logger.log(`sockets closed ${open} with ${CLOSE_CODE} (${cut} cut)`);

    await this.steps.closeApp();
    this.logger.log('layer left');
    this.exit(0, 'exit 0');
  }

  private exit(code: number, message: string): void {
    if (code === 0) this.logger.log(message);
    else this.logger.error(message);
    this.options.exit(code);
  }
}

/** Whether `work` settled within `ms` (a rejection rejects); the timer goes either way. */
async function within(work: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms))));
  try {
    return await Promise.race([work.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Replaces `app.enableShutdownHooks()`: the first SIGTERM or SIGINT starts `GracefulShutdown`,
 * which ends with `app.close()` and the process's exit.
 */
export function installGracefulShutdown(app: NestExpressApplication, config: AppConfig): GracefulShutdown {
  const shutdown = new GracefulShutdown(stepsOf(app), app.get(DrainState), {
    graceMs: config.SHUTDOWN_GRACE_MS,
    // The last lines ("exit 0") are written before the process goes.
    exit: (code) => flushThenExit(code),
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void shutdown.begin(signal));
  return shutdown;
}

function stepsOf(app: NestExpressApplication): ShutdownSteps {
  const hub = app.get(PeerHub);
  const layer = app.get<ChannelLayer>(ChannelLayer);
  const http = app.get(HttpDrain);
  const server: HttpServer = app.getHttpServer();
  return {
    stopKeepAlive: () => http.stopKeepAlive(server),
    flush: async () => {
      // A push answered 202 just before the signal: its frame reaches the local sockets first.
      await http.idle();
      await layer.settle();
      await hub.flushed();
    },
    openSockets: () => hub.size,
    closeSockets: (code, reason) => hub.closeAll(code, reason),
    cutSockets: () => hub.cutAll(),
    closeApp: () => app.close(),
  };
}
