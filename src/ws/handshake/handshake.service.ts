import { Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { findToken } from '../../auth/token-source';
import { InvalidTokenError, TokenService } from '../../auth/token.service';
import type { AuthUser } from '../../auth/user';
import { AppConfig } from '../../config/app-config';
import type { HistoryFrom } from '../../layer/channel-layer';
import type { GroupName } from '../../layer/group-name';
import { isAllowedOrigin } from './origin-policy';
import { HandshakeRefusal, type WsRoute } from '../ws-route';

export interface AcceptedHandshake<P> {
  user: AuthUser;
  params: P;
  groups: GroupName[];
  /** Where its group's history is replayed from, for a resuming socket. */
  resume?: HistoryFrom;
  /**
   * The socket is its user's inbox reader (`/push/:username`): what it was given counts as
   * received once its client shows it read it. Not at the read: a handshake that fails after it
   * must not use up the inbox.
   */
  inbox: boolean;
}

/** `since`: a decimal integer from 0 to 2^53 - 1 (CONTRACT.md, Resume). */
const SINCE = /^[0-9]{1,16}$/;
const SINCE_RULE = 'since must be a decimal integer from 0 to 9007199254740991, given once';

/**
 * The checks a handshake passes before any socket exists, in the order the contract's statuses
 * imply: origin (403), token (401), path parameters (400), then the endpoint's own rule (403).
 */
@Injectable()
export class HandshakeService {
  constructor(
    private readonly tokens: TokenService,
    private readonly config: AppConfig,
  ) {}

  check<P>(request: IncomingMessage, url: URL, route: WsRoute<P>, raw: Record<string, string>): AcceptedHandshake<P> {
    if (!this.allowsOrigin(request)) throw new HandshakeRefusal(403, 'origin not allowed');
    const user = this.authenticate(request, url);
    const params = route.parse(raw);
    if (!route.authorize(user, params)) throw new HandshakeRefusal(403, 'not allowed to open this socket');
    const resume = resumeFrom(route, url.searchParams);
    return { user, params, groups: route.groups(user, params), resume, inbox: route.resume === 'inbox' };
  }

  allowsOrigin(request: IncomingMessage): boolean {
    return isAllowedOrigin(request.headers.origin, request.headers.host, this.config.ALLOWED_ORIGINS);
  }

  private authenticate(request: IncomingMessage, url: URL): AuthUser {
    const token = findToken(request.headers, url.searchParams);
    if (!token) throw new HandshakeRefusal(401, 'missing token');
    try {
      return this.tokens.verify(token);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new HandshakeRefusal(401, error.message);
      throw error;
    }
  }
}

/**
 * Where a socket of `route` resumes from, by its `since` query parameter; 400 for a bad one. The
 * read never marks the inbox received: that waits for the client (`PeerHub.received`).
 */
function resumeFrom(route: WsRoute<unknown>, query: URLSearchParams): HistoryFrom | undefined {
  if (!route.resume) return undefined;
  const given = query.getAll('since');
  if (given.length === 0) return route.resume === 'inbox' ? { after: 'received' } : undefined;
  const since = given.length === 1 && SINCE.test(given[0]) ? Number(given[0]) : NaN;
  if (!Number.isSafeInteger(since)) throw new HandshakeRefusal(400, SINCE_RULE);
  return { after: since };
}
