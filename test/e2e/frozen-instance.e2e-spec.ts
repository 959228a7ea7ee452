import { ChildInstance } from '../support/child-instance';
import { RedisServer } from '../support/redis-server';
import { TEST_SECRET } from '../support/tokens';
import { waitFor } from '../support/wait';
import { TestClient } from '../support/ws-client';

/**
 * An instance frozen with its connections up (SIGSTOP: a stuck event loop, a partition) leaves
 * presence counts and absent-peer decisions on the others when its lease lapses
 * (`PRESENCE_LEASE_MS`), and is back once it runs again. Two built instances, one real Redis.
 */
const SHORT_LEASE_MS = 1500;
/** What a loaded machine may add to a lease before the others notice. */
const SLACK_MS = 5000;

let redis: RedisServer;
let prefixes = 0;
const children: ChildInstance[] = [];
const clients: TestClient[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(children.splice(0).map((child) => child.stop()));
});
afterAll(async () => {
  await redis?.stop();
});

/** Two instances of `dist/main.js` on the test's Redis, with a key prefix of their own. */
async function twoInstances(env: Record<string, string> = {}): Promise<[ChildInstance, ChildInstance]> {
  const shared = { REDIS_URL: redis.url, REDIS_PREFIX: `frozen${++prefixes}:`, JWT_SECRET: TEST_SECRET, ...env };
  for (let n = 0; n < 2; n++) children.push(await ChildInstance.start(shared));
  return [children[children.length - 2], children[children.length - 1]];
}

async function login(on: ChildInstance, username: string): Promise<string> {
  const response = await fetch(`${on.http}/api/auth/dev-login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username }),
  });
  return ((await response.json()) as { token: string }).token;
}

async function open(on: ChildInstance, path: string, token: string): Promise<TestClient> {
  const client = await TestClient.open(on.ws + path, { token });
  clients.push(client);
  return client;
}

/** `GET /api/groups/:group` on `on`: sockets in the group on every live instance. */
async function count(on: ChildInstance, group: string, token: string): Promise<number> {
  const response = await fetch(`${on.http}/api/groups/${group}`, { headers: { authorization: `Bearer ${token}` } });
  return ((await response.json()) as { connections: number }).connections;
}

interface ChatReply {
  type?: string;
  id: number;
  [field: string]: unknown;
}

/** Sends a chat message and returns the frames the sender got for it, ack first. */
async function chat(sender: TestClient, message: string, frames: number): Promise<ChatReply[]> {
  sender.send({ message, to_user: 'bob' });
  const got = await sender.take<ChatReply>(frames);
  return got.sort((x, y) => Number(y.type === 'ack') - Number(x.type === 'ack'));
}

test('a frozen instance leaves counts and presence within its lease, and is back after SIGCONT', async () => {
  const [a, b] = await twoInstances({ PRESENCE_LEASE_MS: String(SHORT_LEASE_MS) });
  const [alice, bob] = [await login(a, 'alice'), await login(a, 'bob')];
  const aliceChat = await open(a, '/ws/chat/alice_bob', alice);
  const bobChat = await open(b, '/ws/chat/alice_bob', bob);
  const bobPush = await open(a, '/push/bob', bob);
  expect(await count(a, 'chat.alice_bob', alice)).toBe(2);
  const [ack] = await chat(aliceChat, 'before', 2);
  expect(await bobChat.nextJson()).toMatchObject({ message: 'before', from: 'alice', id: ack.id });

  b.pause();
  const pausedAt = Date.now();
  // Frozen is not dead: its connections are up, so only the lease can tell.
  expect(await count(a, 'chat.alice_bob', alice)).toBe(2);
  await waitFor(async () => (await count(a, 'chat.alice_bob', alice)) === 1, {
    timeoutMs: SHORT_LEASE_MS + SLACK_MS,
    intervalMs: 50,
    what: 'the frozen instance to leave the count',
  });
  expect(Date.now() - pausedAt).toBeLessThan(SHORT_LEASE_MS + SLACK_MS);

  // Bob is absent from the chat now: the message goes to his push channel, and only the ack back.
  const [absentAck] = await chat(aliceChat, 'while frozen', 1);
  expect(absentAck).toEqual({ type: 'ack', id: ack.id + 1 });
  const pushed = await bobPush.nextJson<{ event: Record<string, unknown>; id: number }>();
  expect(pushed.event).toMatchObject({ message: 'while frozen', from: 'alice', group: 'alice_bob', id: ack.id + 1 });
  await aliceChat.expectNothingPending();

  b.resume();
  await waitFor(async () => (await count(a, 'chat.alice_bob', alice)) === 2, {
    timeoutMs: SLACK_MS,
    intervalMs: 50,
    what: 'the resumed instance to count again',
  });
  const [afterAck, copy] = await chat(aliceChat, 'after', 2);
  expect(afterAck).toEqual({ type: 'ack', id: ack.id + 2 });
  expect(copy).toMatchObject({ message: 'after', id: ack.id + 2 });
  expect(await bobChat.nextJson()).toMatchObject({ message: 'after', id: ack.id + 2 });
  await bobPush.expectNothingPending();
}, 60_000);

test('with the default lease, a frozen instance leaves the counts within 30 s', async () => {
  const [a, b] = await twoInstances();
  const carol = await login(a, 'carol');
  await open(a, '/socket/all', carol);
  await open(b, '/socket/all', carol);
  await open(b, '/socket/all', carol);
  expect(await count(a, 'chat_all_data', carol)).toBe(3);

  b.pause();
  const pausedAt = Date.now();
  await waitFor(async () => (await count(a, 'chat_all_data', carol)) === 1, {
    timeoutMs: 25_000,
    intervalMs: 200,
    what: 'the frozen instance to leave the count',
  });
  expect(Date.now() - pausedAt).toBeLessThan(30_000);
  b.resume();
  await waitFor(async () => (await count(a, 'chat_all_data', carol)) === 3, {
    timeoutMs: SLACK_MS,
    intervalMs: 50,
    what: 'the resumed instance to count again',
  });
}, 60_000);
