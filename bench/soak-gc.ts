/**
 * A full garbage collection in a running instance, through its inspector: the soak starts the
 * instances with `--inspect=127.0.0.1:0` (loopback, a free port, no session until this one) so
 * that "memory comes back" is measured after V8 has collected what the clients left, not at
 * whatever moment an idle process happens to collect.
 */
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';

/** The inspector's URL, from the line Node writes to the instance's log at start. */
export function inspectorUrl(logFile: string): string | undefined {
  return /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(readFileSync(logFile, 'utf8'))?.[1];
}

/** `HeapProfiler.collectGarbage` twice (the second frees what the first's finalizers released). */
export async function collectGarbage(url: string, timeoutMs = 10_000): Promise<void> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const timer = setTimeout(() => ws.terminate(), timeoutMs);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    for (const id of [1, 2]) {
      const answered = new Promise<void>((resolve, reject) => {
        ws.on('message', (data: Buffer) => {
          if ((JSON.parse(data.toString()) as { id?: number }).id === id) resolve();
        });
        ws.once('close', () => reject(new Error('inspector closed')));
      });
      ws.send(JSON.stringify({ id, method: 'HeapProfiler.collectGarbage' }));
      await answered;
    }
  } finally {
    clearTimeout(timer);
    ws.close();
  }
}
