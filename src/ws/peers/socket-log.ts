import { Logger } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { redactUrl } from '../../logging/redact';
import type { Peer } from './peer';

/** Where a refused handshake was going: the endpoint's pattern when one matched, else the path. */
export interface RefusedAt {
  endpoint?: string;
  path?: string;
  user?: string;
}

/**
 * The WebSocket lifecycle in the log, as structured fields (`user`, `endpoint` — the path
 * pattern, never the URL with its token —, `peer`, `status`, `code`), at `info`: sockets are
 * long-lived, so these lines come far less often than frames or HTTP requests.
 */
export class SocketLog {
  private readonly log = new Logger('WebSocket');

  opened(endpoint: string, peer: Peer): void {
    this.log.log({ msg: 'socket open', user: peer.userId, endpoint, peer: peer.id });
  }

  closed(endpoint: string, peer: Peer, code: number): void {
    this.log.log({ msg: 'socket closed', user: peer.userId, endpoint, peer: peer.id, code });
  }

  refused(status: number, reason: string, at: RefusedAt = {}): void {
    this.log.log({ msg: 'handshake refused', status, reason, ...at });
  }

  /** A failure the handshake did not expect (answered 500): the URL is logged without its token. */
  failed(request: IncomingMessage, error: unknown): void {
    const url = redactUrl(request.url ?? '/');
    this.log.error({ msg: `upgrade failed: ${error instanceof Error ? error.stack : String(error)}`, url });
  }

  socketError(peer: Peer | undefined, error: Error): void {
    this.log.debug({ msg: `socket error: ${error.message}`, peer: peer?.id });
  }
}
