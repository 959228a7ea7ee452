import { STATUS_CODES } from 'node:http';
import type { Instance } from './instance';
import { refusal, type ConnectOptions, type TestClient } from './ws-client';

export const PATIENTS = 'all_patient_page_data';
export const VISITS = 'all_active_visit_data';

/** Nest's HTTP error shape, as the contract fixes it. */
interface HttpErrorBody {
  statusCode: number;
  message: string | string[];
  error: string;
}

/** The error body's message as one string, whether Nest gave a string or a list. */
export function messageText(body: unknown): string {
  const message = (body as Partial<HttpErrorBody> | undefined)?.message;
  return Array.isArray(message) ? message.join('; ') : String(message);
}

/** Asserts `{statusCode, message, error}` with the status's reason phrase and a non-empty message. */
export function expectErrorBody(body: unknown, status: number, names?: string): void {
  expect(body).toEqual({ statusCode: status, message: expect.anything() as unknown, error: STATUS_CODES[status] });
  expect(messageText(body)).not.toBe('');
  if (names !== undefined) expect(messageText(body)).toContain(names);
}

/** A handshake that must be refused before the upgrade with `status` and Nest's error body. */
export async function expectRefused(url: string, options: ConnectOptions, status: number): Promise<void> {
  const refused = await refusal(url, options);
  expect(refused.status).toBe(status);
  expectErrorBody(JSON.parse(refused.body) as unknown, status);
}

/** The error frame the contract gives a malformed frame, and nothing more on the socket. */
export async function expectErrorFrame(client: TestClient, code: number, names?: string): Promise<void> {
  const frame = await client.nextJson();
  expect(frame).toEqual({ type: 'error', code, msg: expect.any(String) as unknown });
  if (names !== undefined) expect(frame.msg).toContain(names);
  await client.expectNothingPending();
}

/**
 * Notifies `topic` as `admin` and asserts every client (all in `chat_all_data`) receives the
 * broadcast exactly once: the frame, then nothing else before `pong`.
 */
export async function expectBroadcastOnce(
  instance: Instance,
  admin: string,
  clients: TestClient[],
  data: unknown = { at: Date.now() },
  topic = PATIENTS,
): Promise<number> {
  const posted = await instance.request('POST', `/api/notify/${topic}`, { token: admin, body: { data } });
  expect(posted).toEqual({ status: 202, body: { topic, id: expect.any(Number) as unknown } });
  const { id } = posted.body as { id: number };
  for (const client of clients) {
    expect(await client.nextJson()).toEqual({ type: topic, data, id });
    await client.expectNothingPending();
  }
  return id;
}

/** `GET /api/groups/:group` → the connection count (asserting the 200 shape). */
export async function groupCount(instance: Instance, token: string, group: string): Promise<number> {
  const response = await instance.request('GET', `/api/groups/${group}`, { token });
  expect(response).toEqual({ status: 200, body: { group, connections: expect.any(Number) as unknown } });
  return (response.body as { connections: number }).connections;
}
