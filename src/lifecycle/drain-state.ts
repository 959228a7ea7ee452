import { Injectable } from '@nestjs/common';

/**
 * Whether this instance is shutting down. `GracefulShutdown` starts draining on the first SIGTERM
 * or SIGINT; from then on handshakes are refused with 503, `/health` answers 503 `draining` and
 * other new HTTP requests 503, so a load balancer sends new work elsewhere while what is under
 * way finishes. One per application (global), read on every handshake: a field, no lookup.
 */
@Injectable()
export class DrainState {
  private startedAt: number | undefined;

  get draining(): boolean {
    return this.startedAt !== undefined;
  }

  /** When draining began (ms since the epoch); undefined while serving. */
  get since(): number | undefined {
    return this.startedAt;
  }

  /** Starts draining. False if it had already begun: the first start stands, nothing restarts. */
  begin(now = Date.now()): boolean {
    if (this.startedAt !== undefined) return false;
    this.startedAt = now;
    return true;
  }
}
