import { once } from 'node:events';
import { request, type Agent, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { withTimeout } from './wait';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The TCP connection it came on (to see whether the server keeps it open). */
  socket: Socket;
}

/** A GET with node:http, which shows every header (`Connection` included) and the connection. */
export async function rawGet(url: string, headers: Record<string, string> = {}, agent?: Agent): Promise<RawResponse> {
  const req = request(url, { headers, agent: agent ?? false });
  req.end();
  const [response] = (await withTimeout(once(req, 'response'), 5000, `GET ${url}`)) as [
    import('node:http').IncomingMessage,
  ];
  let body = '';
  response.on('data', (chunk: Buffer) => (body += chunk.toString()));
  await withTimeout(once(response, 'end'), 5000, `the body of GET ${url}`);
  return { status: response.statusCode ?? 0, headers: response.headers, body, socket: req.socket as Socket };
}

/**
 * A WebSocket client on a bare TCP socket: it completes the handshake and reads everything, but
 * never answers anything, the close frame included (the peer a server must cut).
 */
export class DeafClient {
  private received = Buffer.alloc(0);
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    this.closed = once(socket, 'close').then(() => undefined);
    socket.on('data', (chunk: Buffer) => {
      // Only the tail matters (the close frame is last); keep it bounded.
      this.received = Buffer.concat([this.received, chunk]).subarray(-4096);
    });
    socket.on('error', () => undefined);
  }

  static async open(wsUrl: string, path: string): Promise<DeafClient> {
    const url = new URL(wsUrl);
    const socket = connect(Number(url.port), url.hostname);
    await withTimeout(once(socket, 'connect'), 5000, 'a TCP connection');
    const client = new DeafClient(socket);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    const accepted = async (): Promise<void> => {
      while (!client.received.includes('\r\n\r\n')) await once(socket, 'data');
    };
    await withTimeout(accepted(), 5000, 'the 101');
    if (!client.received.toString('latin1').startsWith('HTTP/1.1 101')) {
      socket.destroy();
      throw new Error(`handshake refused: ${client.received.toString('latin1').split('\r\n')[0]}`);
    }
    return client;
  }

  /** Whether the last bytes received are a close frame with `code` (server frames are unmasked). */
  endsWithClose(code: number, reason: string): boolean {
    const frame = Buffer.concat([
      Buffer.from([0x88, 2 + Buffer.byteLength(reason)]),
      Buffer.alloc(2),
      Buffer.from(reason),
    ]);
    frame.writeUInt16BE(code, 2);
    return this.received.subarray(-frame.length).equals(frame);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
