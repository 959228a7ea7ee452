/**
 * The coordinator posts the notifies itself. A POST here never rejects: an error or a timeout
 * answers status 0, so a refused notify is counted and reported with the run, not thrown.
 */
import { request, type Agent } from 'node:http';

export function post(port: number, path: string, body: string, token: string, agent: Agent): Promise<number> {
  return new Promise((resolvePromise) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        timeout: 30_000,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        resolvePromise(res.statusCode ?? 0);
      },
    );
    req.on('error', () => resolvePromise(0));
    req.on('timeout', () => req.destroy());
    req.end(body);
  });
}

/** As `post`, with the response body (the soak reads the id a 202 names). */
export function postReading(
  port: number,
  path: string,
  body: string,
  token: string,
  agent: Agent,
): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        timeout: 30_000,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', () => resolvePromise({ status: 0, body: '' }));
      },
    );
    req.on('error', () => resolvePromise({ status: 0, body: '' }));
    req.on('timeout', () => req.destroy());
    req.end(body);
  });
}
