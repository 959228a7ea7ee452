import { maxHeaderSize, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { writeRefusal } from '../ws/handshake/refusal';

/** How long a refused client may go on sending before its connection is cut. */
const DRAIN_MS = 1000;

/** The status for a request Node's HTTP parser refused; undefined when there is nobody to answer. */
function statusOf(code: string | undefined): number | undefined {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  if (code?.startsWith('HPE_')) return 400;
  return undefined; // ECONNRESET and the like: the client is gone
}

function messageOf(status: number): string {
  if (status === 431) return `the request line and headers must fit in ${Math.floor(maxHeaderSize / 1024)} KiB`;
  if (status === 408) return 'the request took too long to arrive';
  return 'malformed HTTP request';
}

/**
 * Answers what Node's HTTP parser refuses before any route (or the WebSocket upgrade) sees it:
 * 431 for a request line and headers over `maxHeaderSize` (a 100 KB token, in the query or a
 * header), 408 for a request too slow to arrive, 400 for one that is not HTTP, in Nest's error
 * shape. The connection is closed after the answer: the client's remaining bytes are read and
 * dropped for up to a second first, as closing with unread bytes makes the kernel reset the
 * connection, and the client would then often lose the answer.
 */
export function answerClientErrors(server: Server): void {
  const answered = new WeakSet<Duplex>();
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // The parser reports again for each chunk that arrives after its error.
    if (answered.has(socket)) return;
    answered.add(socket);
    const status = statusOf(error.code);
    if (status === undefined || !socket.writable || responding(socket)) {
      socket.destroy();
      return;
    }
    writeRefusal(socket, status, messageOf(status));
    socket.resume();
    const cut = setTimeout(() => socket.destroy(), DRAIN_MS);
    cut.unref();
    socket.once('close', () => clearTimeout(cut));
  });
}

/** A keep-alive connection whose previous response is being written: an answer would corrupt it. */
function responding(socket: Duplex): boolean {
  return (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
}
