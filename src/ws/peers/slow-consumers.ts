import { Logger } from '@nestjs/common';
import type { Metrics } from '../../metrics/metrics.service';

/**
 * How long a slow consumer's close frame gets to reach it before its connection is destroyed.
 * The close frame queues behind the data the reader is not reading, so a reader that never reads
 * would otherwise hold that memory for `ws`'s own 30 s close timeout.
 */
export const SLOW_CONSUMER_CLOSE_MS = 2000;

/** The close code and reason a slow consumer gets (RFC 6455 1013: "try again later"). */
const SLOW_CONSUMER_CODE = 1013;
const SLOW_CONSUMER_REASON = 'slow consumer';

/** What `SlowConsumers` needs of a peer it cuts. */
export interface SlowConsumer {
  readonly id: string;
  readonly userId: string;
  close(code: number, reason: string): void;
  terminate(): void;
}

/**
 * The slow-consumer policy: a socket whose unsent data passes `limit` bytes
 * (`WS_MAX_BUFFERED_BYTES`) is closed with 1013, counted and logged, and destroyed after
 * `SLOW_CONSUMER_CLOSE_MS` if it has not finished closing. `Peer.write` does the one compare per
 * frame and calls `cut`; fan-out never waits on a socket, so the others keep their pace.
 */
export class SlowConsumers {
  private readonly logger = new Logger(SlowConsumers.name);

  constructor(
    readonly limit: number,
    private readonly metrics: Metrics,
    private readonly closeMs = SLOW_CONSUMER_CLOSE_MS,
  ) {}

  /** Closes `peer`, which has `queued` bytes unsent; the caller writes nothing more to it. */
  cut(peer: SlowConsumer, queued: number): void {
    this.metrics.slowConsumerCloses.inc();
    this.logger.warn(
      `closing ${peer.id} (user ${peer.userId}) with ${SLOW_CONSUMER_CODE}: ${queued} bytes unsent, over ${this.limit}`,
    );
    peer.close(SLOW_CONSUMER_CODE, SLOW_CONSUMER_REASON);
    // Once the socket has closed this is a no-op; until then it frees what the reader left unread.
    setTimeout(() => peer.terminate(), this.closeMs).unref();
  }
}
