/**
 * What the floor and the Socket.IO server share: the JWT check (the same as this service's:
 * HS256, `sub` a user id, `roles` may hold "admin") and `POST /api/notify/:topic`. Each server
 * passes its own broadcast; everything before it is identical on purpose, so the comparison
 * measures the broadcast and not the HTTP handling.
 */
import { createSecretKey } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { verify } from 'jsonwebtoken';

// A KeyObject, not the string: see secretKey() in common.ts (0.5 ms per verify otherwise).
const secret = createSecretKey(Buffer.from(process.env.JWT_SECRET ?? '', 'utf8'));
const USER = /^[A-Za-z0-9_-]{1,64}$/;
const TOPICS = new Set(['all_patient_page_data', 'all_active_visit_data']);

export interface Claims {
  user: string;
  admin: boolean;
}

export function claims(token: unknown): Claims | undefined {
  if (typeof token !== 'string' || token === '') return undefined;
  try {
    const c = verify(token, secret, { algorithms: ['HS256'] }) as { sub?: unknown; roles?: unknown };
    if (typeof c.sub !== 'string' || !USER.test(c.sub)) return undefined;
    return { user: c.sub, admin: Array.isArray(c.roles) && c.roles.includes('admin') };
  } catch {
    return undefined;
  }
}

/** `GET /health` and an admin-only `POST /api/notify/:topic` `{"data"}` that calls `broadcast`. */
export function notifyHandler(broadcast: (topic: string, data: unknown) => void): RequestListener {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const answer = (status: number, body: object): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const topic = /^\/api\/notify\/([A-Za-z0-9_]+)$/.exec(req.url ?? '')?.[1];
    if (req.method === 'GET' && req.url === '/health') return answer(200, { status: 'ok' });
    if (req.method !== 'POST' || !topic) return answer(404, { statusCode: 404 });
    const who = claims(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]);
    if (!who) return answer(401, { statusCode: 401 });
    if (!who.admin) return answer(403, { statusCode: 403 });
    if (!TOPICS.has(topic)) return answer(404, { statusCode: 404 });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let data: unknown;
      try {
        data = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: unknown }).data;
      } catch {
        return answer(400, { statusCode: 400 });
      }
      broadcast(topic, data);
      answer(202, { topic });
    });
  };
}
