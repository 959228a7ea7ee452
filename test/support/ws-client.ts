import WebSocket from 'ws';

export interface ConnectOptions {
  token?: string;
  /** Where to put the token: the query (default), the `token` header or `Authorization`. */
  via?: 'query' | 'header' | 'bearer';
  origin?: string;
  /** false: the client does not answer protocol pings (to test the server's heartbeat). */
  autoPong?: boolean;
}

const DEFAULT_TIMEOUT_MS = 5000;

function buildRequest(url: string, options: ConnectOptions): { url: string; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  if (options.origin) headers.origin = options.origin;
  if (!options.token) return { url, headers };
  const via = options.via ?? 'query';
  if (via === 'header') headers.token = options.token;
  if (via === 'bearer') headers.authorization = `Bearer ${options.token}`;
  if (via !== 'query') return { url, headers };
  const target = new URL(url);
  target.searchParams.set('token', options.token);
  return { url: target.toString(), headers };
}

/** A real `ws` client that queues every text frame it receives, for tests to await one by one. */
export class TestClient {
  private readonly frames: string[] = [];
  private readonly waiters: Array<(frame: string) => void> = [];
  /**
   * Protocol pings received since the socket was created. Counted from the start because a ping
   * can arrive in the same read as the 101, before a listener added after `open` would see it.
   */
  pings = 0;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    socket.on('ping', () => (this.pings += 1));
    socket.on('message', (data) => {
      const text = (data as Buffer).toString();
      const waiter = this.waiters.shift();
      if (waiter) waiter(text);
      else this.frames.push(text);
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  static async open(url: string, options: ConnectOptions = {}): Promise<TestClient> {
    const request = buildRequest(url, options);
    const socket = new WebSocket(request.url, { headers: request.headers, autoPong: options.autoPong ?? true });
    const client = new TestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
    });
    return client;
  }

  /** The next text frame, raw; rejects after `timeoutMs`. */
  next(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    const queued = this.frames.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    // Made now, so that its stack names the test line that waited, not the timer.
    const timeout = new Error(`no frame within ${timeoutMs} ms`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(timeout);
      }, timeoutMs);
      const waiter = (frame: string): void => {
        clearTimeout(timer);
        resolve(frame);
      };
      this.waiters.push(waiter);
    });
  }

  async nextJson<T = Record<string, unknown>>(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
    return JSON.parse(await this.next(timeoutMs)) as T;
  }

  /** Collects the next `count` frames as JSON. */
  async take<T = Record<string, unknown>>(count: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T[]> {
    const frames: T[] = [];
    for (let i = 0; i < count; i += 1) frames.push(await this.nextJson<T>(timeoutMs));
    return frames;
  }

  /** Frames received and not yet taken. */
  get pending(): number {
    return this.frames.length;
  }

  /**
   * Proves nothing else was queued for this socket: the server answers `ping` on the same
   * socket in order, so if the next frame is `pong`, nothing came before it.
   */
  async expectNothingPending(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    this.send('ping');
    const frame = await this.next(timeoutMs);
    if (frame !== 'pong') throw new Error(`expected nothing pending, got ${frame}`);
  }

  send(frame: string | object | Buffer, binary = false): void {
    if (Buffer.isBuffer(frame)) this.socket.send(frame, { binary });
    else this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close();
    await this.closed;
  }
}

/** Opens a handshake that must be refused; resolves to the HTTP status and JSON body. */
export function refusal(url: string, options: ConnectOptions = {}): Promise<{ status: number; body: string }> {
  const request = buildRequest(url, options);
  const socket = new WebSocket(request.url, { headers: request.headers });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('handshake neither refused nor accepted')), DEFAULT_TIMEOUT_MS);
    socket.once('open', () => {
      clearTimeout(timer);
      socket.terminate();
      reject(new Error('handshake was accepted'));
    });
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    socket.once('error', () => undefined);
  });
}
