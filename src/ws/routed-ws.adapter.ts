import { INestApplication } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { match, type MatchFunction } from 'path-to-regexp';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { AppConfig } from '../config/app-config';
import { LayerUnavailableError } from '../layer/channel-layer';
import type { DrainState } from '../lifecycle/drain-state';
import type { GroupName } from '../layer/group-name';
import type { Metrics } from '../metrics/metrics.service';
import type { EndpointCounts } from '../metrics/ws-counts';
import type { FrameDispatcher } from './frames/frame-dispatcher';
import { HandshakeService, type AcceptedHandshake } from './handshake/handshake.service';
import type { Peer } from './peers/peer';
import { PeerHub } from './peers/peer-hub';
import { FrameRate, FrameVerdict } from './frames/frame-rate';
import { FrameRateRefusal } from './frames/frame-rate-refusal';
import { isPing, readFrame } from './frames/read-frame';
import { writeRefusal } from './handshake/refusal';
import { SocketLog, type RefusedAt } from './peers/socket-log';
import { HandshakeRefusal, type RoutedGatewayOptions, type WsRoute } from './ws-route';

export interface HandshakeVerdict {
  status: number;
  message: string;
  /** The request's Origin when it is allowed: a cross-origin page may then read the verdict. */
  allowOrigin?: string;
}

interface Endpoint {
  readonly route: WsRoute<unknown>;
  readonly matches: MatchFunction<Record<string, string>>;
  readonly server: WebSocketServer;
  /** `ws_connections`, `ws_messages_in_total`, `ws_messages_out_total` of this endpoint. */
  readonly counts: EndpointCounts;
}

interface Located {
  readonly endpoint: Endpoint;
  readonly params: Record<string, string>;
}

/** The refusal of every handshake while the instance drains (see `GracefulShutdown`). */
const DRAINING: HandshakeVerdict = { status: 503, message: 'server shutting down' };

/**
 * Nest's `WsAdapter` routes on exact paths and knows nothing of tokens. This one owns the HTTP
 * server's single `upgrade` listener: it matches path patterns (`/ws/chat/:group`), runs the
 * handshake checks before the upgrade, joins the route's groups, and only then completes the
 * upgrade and hands gateways a `Peer`. Each frame goes straight to its gateway's `@OnFrame` method
 * (see `FrameDispatcher`), one at a time per socket, in order.
 */
export class RoutedWsAdapter extends WsAdapter {
  private readonly log = new SocketLog();
  private readonly endpoints: Endpoint[] = [];
  private readonly sockets = new WeakMap<Peer, { socket: WebSocket; route: WsRoute<unknown> }>();
  private listening = false;
  private readonly overLimit: FrameRateRefusal;

  constructor(
    app: INestApplication,
    private readonly hub: PeerHub,
    private readonly handshake: HandshakeService,
    private readonly frames: FrameDispatcher,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly drain: DrainState,
  ) {
    super(app);
    this.overLimit = new FrameRateRefusal(config.WS_MAX_MESSAGES_PER_SEC, metrics);
  }

  override create(_port: number, options?: Partial<RoutedGatewayOptions>): WebSocketServer {
    if (!options?.route) throw new Error('every gateway needs a route: @WebSocketGateway(routedGateway(route))');
    const server = new WebSocketServer({
      noServer: true,
      maxPayload: this.config.WS_MAX_PAYLOAD,
      perMessageDeflate: false,
    });
    const matches = match<Record<string, string>>(options.route.path, { decode: decodeURIComponent });
    const counts = this.metrics.ws.endpoint(options.route.path);
    this.endpoints.push({ route: options.route, matches, server, counts });
    this.listen();
    return server;
  }

  override bindClientDisconnect(peer: Peer, callback: () => void): void {
    this.sockets.get(peer)?.socket.on('close', callback);
  }

  /** Nest's `@SubscribeMessage` handlers are not used: frames go to the gateway's `@OnFrame`. */
  override bindMessageHandlers(peer: Peer): void {
    const attached = this.sockets.get(peer);
    if (!attached) return;
    const { socket, route } = attached;
    const handler = this.frames.handlerOf(route);
    const takesText = handler?.takesText === true;
    // One bucket per socket, made here so that the listener below is its only holder.
    const rate = new FrameRate(this.config.WS_MAX_MESSAGES_PER_SEC);
    const counts = peer.counts;
    socket.on('message', (data: RawData, isBinary: boolean) => {
      counts.received += 1;
      const verdict = rate.take();
      if (verdict !== FrameVerdict.Within) return this.overLimit.answer(peer, verdict, isPing(data, isBinary));
      const frame = readFrame(data, isBinary, takesText);
      if (frame.kind === 'ping') return peer.sendText('pong');
      if (frame.kind === 'invalid') return peer.sendError(400, frame.reason);
      if (!handler) return peer.sendError(400, 'this endpoint takes no frames');
      peer.holdWrites();
      peer.enqueue(async () => {
        try {
          await handler.handle(peer, frame.value);
        } finally {
          peer.releaseWrites();
        }
      });
    });
  }

  /**
   * Called by `app.close()`. On a signal, `GracefulShutdown` has already written what was queued
   * and closed every socket with 1001 (or cut it) by then; what is left (an `app.close()` without
   * a signal, as in-process tests do) is cut here, without a wait of its own.
   */
  override async close(server: WebSocketServer): Promise<void> {
    const closed = [...server.clients]
      .filter((socket) => socket.readyState !== WebSocket.CLOSED)
      .map((socket) => {
        const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()));
        socket.terminate();
        return gone;
      });
    await Promise.all(closed);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * What a handshake on this request would get, without upgrading: browsers cannot read the
   * status of a refused upgrade, so clients ask with a plain GET on the same URL. 426 means the
   * handshake would be accepted. Undefined when no endpoint has that path.
   */
  probe(request: IncomingMessage): HandshakeVerdict | undefined {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const found = this.locate(url.pathname);
    if (!found) return undefined;
    if (this.drain.draining) return DRAINING;
    if ('status' in found) return found;
    const allowOrigin = this.handshake.allowsOrigin(request) ? request.headers.origin : undefined;
    try {
      this.handshake.check(request, url, found.endpoint.route, found.params);
      return { status: 426, message: 'this is a WebSocket endpoint: open it with an upgrade', allowOrigin };
    } catch (error) {
      if (error instanceof HandshakeRefusal) return { status: error.status, message: error.message, allowOrigin };
      throw error;
    }
  }

  private listen(): void {
    if (this.listening) return;
    this.listening = true;
    (this.httpServer as HttpServer).on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.logErrors(socket);
      this.upgrade(request, socket, head).catch((error: unknown) => {
        this.log.failed(request, error);
        writeRefusal(socket, 500, 'internal error');
      });
    });
  }

  /** In a scope of its own: a listener made next to the catch above would keep `request` alive. */
  private logErrors(socket: Duplex): void {
    socket.on('error', (error) => this.log.socketError(undefined, error));
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (this.drain.draining) return this.refuse(socket, DRAINING);
    const url = new URL(request.url ?? '/', 'http://localhost');
    const found = this.locate(url.pathname);
    if (!found) return this.refuse(socket, { status: 404, message: `no WebSocket endpoint at ${url.pathname}` });
    if ('status' in found) return this.refuse(socket, found, { path: url.pathname });
    const { endpoint, params: raw } = found;
    const at: RefusedAt = { endpoint: endpoint.route.path };
    let peer: Peer;
    let accepted: AcceptedHandshake<unknown> | undefined;
    try {
      accepted = this.handshake.check(request, url, endpoint.route, raw);
      at.user = accepted.user.id;
      peer = await this.hub.open(accepted.user, accepted.params, accepted.groups, accepted.resume, endpoint.counts);
    } catch (error) {
      if (error instanceof HandshakeRefusal) return this.refuse(socket, error, at);
      if (error instanceof LayerUnavailableError)
        return this.refuse(socket, { status: 503, message: 'service unavailable' }, at);
      throw error;
    }
    // The signal came while its groups were joined: refused like any handshake while draining.
    if (this.drain.draining) {
      void this.hub.close(peer);
      return this.refuse(socket, DRAINING, at);
    }
    if (this.complete(endpoint, peer, request, socket, head) && accepted.inbox)
      this.receivedOnPong(peer, accepted.groups[0]);
  }

  /** Answers a refused handshake, and logs it (no URL: it may hold the token). */
  private refuse(socket: Duplex, verdict: { status: number; message: string }, at?: RefusedAt): void {
    this.log.refused(verdict.status, verdict.message, at);
    writeRefusal(socket, verdict.status, verdict.message);
  }

  /**
   * An inbox reader's replay counts as received once the client answers a ping sent after it:
   * TCP keeps order, so the pong proves the client read the replay. Marking at the read (or at
   * the 101) lost the pushes of a client that went away meanwhile: the server writes its 101 and
   * replay to a connection it does not yet know is dead. A client that never answers leaves the
   * inbox for the next connect. Live pushes meanwhile are marked as they are sent, as for any
   * open socket.
   */
  private receivedOnPong(peer: Peer, group: GroupName): void {
    const ws = this.sockets.get(peer)?.socket;
    if (!ws) return;
    ws.once('pong', () => void this.hub.received(peer, group));
    peer.ping();
  }

  /**
   * The 101 goes out only now, after the groups are joined: "open" means "will receive". True
   * when the socket opened (and got what the peer held).
   */
  private complete(endpoint: Endpoint, peer: Peer, request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    let attached = false;
    if (!socket.destroyed) {
      endpoint.server.handleUpgrade(request, socket, head, (ws) => {
        attached = true;
        this.wire(endpoint.route, peer, ws, socket);
        endpoint.server.emit('connection', peer, request);
      });
    }
    // The client went away while its groups were being joined: undo the join.
    if (!attached) void this.hub.close(peer);
    return attached;
  }

  /**
   * The socket's listeners, set up here rather than in `complete`: closures made in one scope
   * share its context, so listeners made there kept the upgrade request (its headers, the URL
   * with the token) and the handshake's first bytes alive as long as the socket, ~1.5 KiB each.
   */
  private wire(route: WsRoute<unknown>, peer: Peer, ws: WebSocket, socket: Duplex): void {
    this.sockets.set(peer, { socket: ws, route });
    const counts = peer.counts;
    counts.open += 1;
    ws.on('pong', () => (peer.missedPongs = 0));
    ws.on('error', (error) => this.log.socketError(peer, error));
    ws.on('close', (code: number) => {
      counts.open -= 1;
      this.log.closed(route.path, peer, code);
      void this.hub.close(peer);
    });
    peer.attach(ws, socket);
    this.log.opened(route.path, peer);
  }

  /** The endpoint at `pathname` with its raw parameters; a 400 verdict when they cannot be decoded. */
  private locate(pathname: string): Located | HandshakeVerdict | undefined {
    try {
      for (const endpoint of this.endpoints) {
        const result = endpoint.matches(pathname);
        if (result) return { endpoint, params: result.params };
      }
    } catch {
      return { status: 400, message: 'malformed path' };
    }
    return undefined;
  }
}
