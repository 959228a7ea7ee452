import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { Queue } from './client-support';

/** One client connection through the relay: its upstream socket and what went each way. */
export interface Link {
  readonly path: string;
  readonly client: WebSocket;
  readonly upstream: WebSocket;
  /** Text frames from the client, in order. */
  readonly up: string[];
  /** Text frames from the server that were passed on, in order. */
  readonly down: string[];
}

/**
 * A WebSocket relay between the client and a real instance: every connection is opened again
 * upstream with the same path and query, and text frames are passed both ways as they are. It
 * fails the network on request: `cutBeforeAck()` swallows the next ack the server sends and drops
 * both sockets, as a connection lost between the server accepting a message and the sender
 * hearing of it.
 */
export class Relay {
  readonly links = new Queue<Link>();
  readonly all: Link[] = [];
  private cutting = false;

  private constructor(
    private readonly server: WebSocketServer,
    readonly base: string,
  ) {}

  static async start(target: string): Promise<Relay> {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const relay = new Relay(server, `ws://127.0.0.1:${port}`);
    server.on('connection', (client, request) => relay.link(client, target + (request.url ?? '/')));
    return relay;
  }

  cutBeforeAck(): void {
    this.cutting = true;
  }

  async stop(): Promise<void> {
    for (const link of this.all) {
      link.client.terminate();
      link.upstream.terminate();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private link(client: WebSocket, url: string): void {
    const upstream = new WebSocket(url);
    const link: Link = { path: new URL(url).pathname, client, upstream, up: [], down: [] };
    this.all.push(link);
    const early: string[] = [];
    const drop = (): void => {
      client.terminate();
      upstream.terminate();
    };
    client.on('message', (data: Buffer) => {
      const text = data.toString();
      link.up.push(text);
      if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
      else early.push(text);
    });
    upstream.on('open', () => {
      for (const text of early.splice(0)) upstream.send(text);
      this.links.push(link);
    });
    upstream.on('message', (data: Buffer) => {
      const text = data.toString();
      if (this.cutting && text.startsWith('{"type":"ack"')) {
        this.cutting = false;
        return drop();
      }
      if (client.readyState !== WebSocket.OPEN) return;
      link.down.push(text);
      client.send(text);
    });
    for (const socket of [client, upstream]) {
      socket.on('close', drop);
      socket.on('error', drop);
    }
  }
}
