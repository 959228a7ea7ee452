import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { binaryPath } from '../support/binaries';
import { RedisServer } from '../support/redis-server';
import { epochSeconds, signToken, TEST_SECRET } from '../support/tokens';
import { waitFor } from '../support/wait';
import { AppProcess } from './app-process';

/**
 * The demo page (`public/`, served at `/`) in Debian's Chromium against the built service in a
 * child process: three users, live tables, a chat that reaches an absent user as a notification,
 * and a server restart on the same port that the page rides out by itself.
 */

const CHROMIUM = binaryPath('chromium');
// The README's picture is refreshed on request only, so a test run leaves the work tree clean.
const SCREENSHOT = process.env.UPDATE_SCREENSHOT
  ? join(__dirname, '..', '..', 'docs', 'screenshot.png')
  : join(__dirname, '..', '..', 'test-results', 'screenshot.png');
/** Longest wait for anything the page shows; reconnects after a restart are the slowest. */
const WAIT_MS = 15_000;

type Socket = 'all' | 'push' | 'chat';

const PATIENTS = [
  { name: 'Zhang San', bed: 12, ward: 'Cardiology', status: 'stable' },
  { name: 'Li Si', bed: 7, ward: 'Neurology', status: 'observation' },
];
const VISITS = [
  { visit: 'V-1001', patient: 'Zhang San', doctor: 'Dr. Chen', room: '2B', since: '09:40' },
  { visit: 'V-1002', patient: 'Li Si', doctor: 'Dr. Zhao', room: '4A', since: '10:15' },
];
const PATIENTS_AFTER_RESTART = [...PATIENTS, { name: 'Wang Wu', bed: 3, ward: 'Surgery', status: 'admitted' }];

function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A page of its own browser context (its own session) on `baseURL`; its exceptions go to `pageErrors`. */
async function openPage(browser: Browser, baseURL: string, name: string, pageErrors: string[]): Promise<Page> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (error) => pageErrors.push(`${name}: ${error.message}`));
  // The page logs `[demo] …` when one of its frame handlers threw (the client catches those).
  page.on('console', (message) => {
    // A Content-Security-Policy violation (something the page needs was blocked) fails the test too.
    const text = message.text();
    if (message.type() === 'error' && (text.startsWith('[demo]') || text.includes('Content Security Policy'))) {
      pageErrors.push(`${name}: ${text}`);
    }
  });
  return page;
}

/** A JSON POST to an instance, bounded. */
function post(base: string, path: string, body: unknown, token?: string): Promise<Response> {
  return fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(WAIT_MS),
  });
}

const status = (page: Page, socket: Socket): Locator => page.getByTestId(`status-${socket}`);

async function waitForState(page: Page, socket: Socket, state: string): Promise<void> {
  await page.locator(`[data-testid="status-${socket}"][data-state="${state}"]`).waitFor({ timeout: WAIT_MS });
}

async function waitForNotOpen(page: Page, socket: Socket): Promise<void> {
  await page.locator(`[data-testid="status-${socket}"]:not([data-state="open"])`).waitFor({ timeout: WAIT_MS });
}

async function signIn(page: Page, user: string, asAdmin = false): Promise<void> {
  await page.goto('/');
  await page.getByTestId('login-user').fill(user);
  if (asAdmin) await page.getByTestId('login-admin').check();
  await page.getByTestId('login-submit').click();
  await waitForState(page, 'all', 'open');
  await waitForState(page, 'push', 'open');
}

async function waitForCell(page: Page, table: string, text: string): Promise<void> {
  await page.getByTestId(table).getByRole('cell', { name: text, exact: true }).waitFor({ timeout: WAIT_MS });
}

async function openChat(page: Page, peer: string): Promise<void> {
  await page.getByTestId('chat-peer').fill(peer);
  await page.getByTestId('chat-open').click();
  await waitForState(page, 'chat', 'open');
}

async function say(page: Page, text: string): Promise<void> {
  await page.getByTestId('chat-input').fill(text);
  await page.getByTestId('chat-send').click();
}

/** A message from the other user in the chat log. */
async function waitForIncoming(page: Page, from: string, text: string): Promise<void> {
  await page
    .getByTestId('chat-log')
    .locator('.msg.theirs')
    .filter({ hasText: from })
    .filter({ hasText: text })
    .waitFor({ timeout: WAIT_MS });
}

describe('demo page (Chromium)', () => {
  let app: AppProcess;
  let browser: Browser;
  let alice: Page;
  let bob: Page;
  let admin: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    app = await AppProcess.start({ JWT_SECRET: TEST_SECRET });
    browser = await launchChromium();
    const open = (name: string): Promise<Page> => openPage(browser, app.http, name, pageErrors);
    [alice, bob, admin] = [await open('alice'), await open('bob'), await open('admin')];
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  afterEach(() => {
    // Exceptions in any page fail the step that caused them (and only that one).
    expect(pageErrors.splice(0)).toEqual([]);
  });

  /** Fills the admin textarea, publishes, and waits for the 202 from /api/notify. */
  async function publish(key: 'patients' | 'visits', data: unknown): Promise<void> {
    await admin.getByTestId(`admin-${key}-json`).fill(JSON.stringify(data, null, 2));
    await admin.getByTestId(`admin-${key}-publish`).click();
    // The click sets "sending…" synchronously, so an earlier 202 cannot satisfy this wait.
    await admin.getByTestId(`admin-${key}-result`).getByText(/^202 /).waitFor({ timeout: WAIT_MS });
  }

  it('signs in three users; the tables start empty and every socket opens', async () => {
    await signIn(alice, 'alice');
    await signIn(bob, 'bob');
    await signIn(admin, 'admin', true);

    for (const page of [alice, bob]) {
      await page.getByTestId('patients-table').getByText('No data yet.').waitFor({ timeout: WAIT_MS });
      expect(await page.getByTestId('current-user').textContent()).toBe(page === alice ? 'alice' : 'bob');
      expect(await page.getByTestId('admin-patients-publish').isVisible()).toBe(false);
    }
    expect(await admin.getByTestId('admin-patients-publish').isVisible()).toBe(true);
    expect(await status(alice, 'chat').textContent()).toBe('none');
  }, 60_000);

  /** A page of a context whose stored session (as a page load finds it) is `session`. */
  async function pageWithSession(name: string, session: object): Promise<{ page: Page; close: () => Promise<void> }> {
    const context = await browser.newContext({ baseURL: app.http });
    const stored = JSON.stringify(session);
    await context.addInitScript(`sessionStorage.setItem('nest-realtime-demo.session', ${JSON.stringify(stored)})`);
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('pageerror', (error) => pageErrors.push(`${name}: ${error.message}`));
    return { page, close: () => context.close() };
  }

  /** The token the page keeps in its session (sessionStorage; the test has no DOM types). */
  const storedToken = (page: Page): Promise<string> =>
    page.evaluate<string>("JSON.parse(sessionStorage.getItem('nest-realtime-demo.session') ?? '{}').token");

  it('a stored token the server refuses (401): the page signs the same user in again by itself', async () => {
    const { page, close } = await pageWithSession('mallory', { user: 'mallory', admin: false, token: 'not-a-jwt' });
    try {
      await page.goto('/');
      await waitForState(page, 'all', 'open');
      await waitForState(page, 'push', 'open');
      expect(await storedToken(page)).not.toBe('not-a-jwt');
      expect(await page.getByTestId('current-user').textContent()).toBe('mallory');
    } finally {
      await close();
    }
  }, 60_000);

  it('a token that expires while open (close 4001): the sockets reconnect with a fresh one', async () => {
    // A few seconds: the page must load and open with this token before it expires.
    const token = signToken({ sub: 'erin', roles: [], exp: epochSeconds(5) });
    const { page, close } = await pageWithSession('erin', { user: 'erin', admin: false, token });
    try {
      await page.goto('/');
      await waitForState(page, 'push', 'open');
      expect(await storedToken(page)).toBe(token); // opened with it, no renewal yet
      // At exp the server closes both sockets with 4001; the page asks dev-login for a fresh token.
      // Polled from the test: a string predicate for waitForFunction runs through eval, which the
      // page's Content-Security-Policy forbids.
      await waitFor(async () => (await storedToken(page)) !== token, {
        timeoutMs: WAIT_MS,
        intervalMs: 100,
        what: 'the page to store a fresh token',
      });
      await waitForState(page, 'push', 'open');
      await waitForState(page, 'all', 'open');
      const shown = (await page.getByTestId('error').textContent()) ?? '';
      expect(shown).not.toMatch(/Push channel|Global socket/);
    } finally {
      await close();
    }
  }, 60_000);

  it('no fresh token to be had: names the failure, and offers to sign in again', async () => {
    // dev-login refuses this user id (a space), so getToken fails on every try.
    const { page, close } = await pageWithSession('nobody', { user: 'no body', admin: false, token: 'not-a-jwt' });
    try {
      await page.goto('/');
      await waitForState(page, 'all', 'closed');
      await page
        .getByTestId('error')
        .getByText('Global socket: the session expired and no new token could be had')
        .waitFor({ timeout: WAIT_MS });
      await page.getByTestId('patients-table').getByText('Not connected.').waitFor({ timeout: WAIT_MS });
      await page.getByRole('button', { name: 'Sign in again' }).first().click();
      await page.getByTestId('login-user').waitFor({ timeout: WAIT_MS });
    } finally {
      await close();
    }
  }, 60_000);

  it("shows the admin's published changes in both users' tables without a reload", async () => {
    await publish('patients', PATIENTS);
    await publish('visits', VISITS);

    for (const page of [alice, bob]) {
      await waitForCell(page, 'patients-table', 'Zhang San');
      await waitForCell(page, 'patients-table', 'Neurology');
      await waitForCell(page, 'visits-table', 'V-1002');
      expect(await page.getByTestId('patients-table').locator('th').allTextContents()).toEqual([
        'name',
        'bed',
        'ward',
        'status',
      ]);
    }
  }, 60_000);

  it("plots live connections and messages per second in the admin's operations view", async () => {
    await admin.getByTestId('ops-view').waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await alice.getByTestId('ops-view').isVisible()).toBe(false);
    // Read from the DOM and polled from the test (waitForFunction's eval is refused by the CSP).
    const readout = async (id: string): Promise<number> => Number(await admin.getByTestId(id).textContent());
    const points = async (): Promise<number> =>
      Number(await admin.getByTestId('ops-chart').getAttribute('data-points'));
    const line = (): Promise<string | null> => admin.getByTestId('ops-connections-line').getAttribute('points');
    const until = (predicate: () => Promise<boolean>, what: string) =>
      waitFor(predicate, { timeoutMs: WAIT_MS, intervalMs: 100, what });
    await until(async () => (await points()) >= 2, 'two points on the chart');
    const before = { connections: await readout('ops-connections'), line: await line() };
    expect(before.connections).toBeGreaterThanOrEqual(6);

    // A fourth user opens two sockets, and a publish sends frames to every /socket/all.
    const carol = await openPage(browser, app.http, 'carol', pageErrors);
    await signIn(carol, 'carol');
    await until(async () => (await readout('ops-connections')) >= before.connections + 2, 'two more connections');
    await publish('visits', VISITS);
    await until(async () => (await readout('ops-rate')) > 0, 'messages per second above 0');
    expect(await line()).not.toEqual(before.line);
    await carol.close();
  }, 60_000);

  it('loads the snapshot on connect: a reloaded page shows the current tables at once', async () => {
    await bob.reload();
    await waitForState(bob, 'all', 'open');
    await waitForCell(bob, 'patients-table', 'Li Si');
    await waitForCell(bob, 'visits-table', 'Dr. Zhao');
    expect(await bob.getByTestId('patients-meta').textContent()).toContain('snapshot');
  }, 60_000);

  it('shows a pushed event in the notifications panel', async () => {
    await admin.getByTestId('admin-push-user').fill('alice');
    await admin.getByTestId('admin-push-json').fill('{"kind":"visit-assigned","visit":"V-1002","room":"4A"}');
    await admin.getByTestId('admin-push-send').click();
    await admin.getByTestId('admin-push-result').getByText(/^202 /).waitFor({ timeout: WAIT_MS });
    await alice.getByTestId('notifications').getByText('visit-assigned').waitFor({ timeout: WAIT_MS });
  }, 60_000);

  it("notifies alice of bob's chat while her chat is closed, then they talk both ways", async () => {
    await openChat(bob, 'alice');
    expect(await bob.getByTestId('chat-with').textContent()).toContain('alice_bob');
    await say(bob, 'Hi Alice, bed 12 needs you');
    // Alice is not in the chat: the server acknowledges to bob and notifies alice's push channel.
    await bob.getByTestId('chat-log').locator('.msg.mine .tick', { hasText: '✓' }).waitFor({ timeout: WAIT_MS });

    const notice = alice.getByTestId('notifications').locator('li', { hasText: 'bob: Hi Alice, bed 12 needs you' });
    await notice.waitFor({ timeout: WAIT_MS });
    // Newest first: the chat notice is above the earlier pushed event.
    await expect(alice.getByTestId('notification').first().textContent()).resolves.toContain('bob: Hi Alice');

    await notice.getByTestId('notification-open-chat').click();
    await waitForState(alice, 'chat', 'open');
    expect(await alice.getByTestId('chat-peer').inputValue()).toBe('bob');
    // The message that came as a notification opens the conversation.
    await waitForIncoming(alice, 'bob', 'Hi Alice, bed 12 needs you');

    await say(alice, 'On my way, Bob');
    await waitForIncoming(bob, 'alice', 'On my way, Bob');
    await say(bob, 'Thanks!');
    await waitForIncoming(alice, 'bob', 'Thanks!');
    // Both were in the chat: each sender's own copy came back, marked delivered.
    await bob.getByTestId('chat-log').locator('.msg.mine', { hasText: 'Thanks!' }).locator('.tick.delivered').waitFor();
    await alice
      .getByTestId('chat-log')
      .locator('.msg.mine', { hasText: 'On my way, Bob' })
      .locator('.tick.delivered')
      .waitFor();
  }, 60_000);

  it('shows the drop when the server stops, reconnects by itself when it is back, and keeps updating', async () => {
    await app.stop();
    for (const page of [alice, bob]) {
      await waitForNotOpen(page, 'all');
      await waitForNotOpen(page, 'push');
      await waitForNotOpen(page, 'chat');
      await page.getByTestId('error').getByText('Global socket').waitFor({ timeout: WAIT_MS });
    }
    expect(['connecting', 'reconnecting']).toContain(await status(alice, 'all').textContent());

    await app.start();
    for (const page of [alice, bob, admin]) {
      await waitForState(page, 'all', 'open');
      await waitForState(page, 'push', 'open');
    }
    for (const page of [alice, bob]) {
      await waitForState(page, 'chat', 'open');
      // Every socket is back: the error messages are gone.
      await page.getByTestId('error').waitFor({ state: 'hidden', timeout: WAIT_MS });
      // The restarted instance's memory layer has no history to resume from: each chat socket
      // reports a gap in its log.
      await page
        .getByTestId('chat-log')
        .getByText('Some messages could not be recovered')
        .waitFor({ timeout: WAIT_MS });
    }

    // Alice's global socket had received broadcasts, so it resumed: the gap is a notice, and the
    // tables reloaded their snapshots (bob's reloaded page had received none, so it did not resume).
    await alice
      .getByTestId('notices')
      .getByText('Global socket: some updates could not be recovered after the reconnect; the tables were reloaded.')
      .waitFor({ timeout: WAIT_MS });
    await alice.getByTestId('patients-table').getByText('No data yet.').waitFor({ timeout: WAIT_MS });
    // A memory-layer restart lost the snapshots; the next change still reaches both pages live.
    await publish('patients', PATIENTS_AFTER_RESTART);
    for (const page of [alice, bob]) {
      await waitForCell(page, 'patients-table', 'Wang Wu');
      expect(await page.getByTestId('patients-meta').textContent()).toContain('live update');
    }
    await say(bob, 'Back online?');
    await waitForIncoming(alice, 'bob', 'Back online?');
    await say(alice, 'Yes, reconnected by itself');
    await waitForIncoming(bob, 'alice', 'Yes, reconnected by itself');
  }, 90_000);

  it("saves a screenshot of alice's page for the README", async () => {
    await publish('visits', VISITS);
    await waitForCell(alice, 'visits-table', 'V-1001');
    await alice.evaluate('window.scrollTo(0, 0)');
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await alice.screenshot({ path: SCREENSHOT, fullPage: true, animations: 'disabled' });
  }, 60_000);
});

/**
 * The catch-up, as a user sees it: two instances share a Redis; carol's page is on A, dave's and
 * the admin's on B. While A is down, dave writes to carol and the admin pushes her an event; when
 * A is back, carol's page resumes where it left off and shows both, marked caught up, without a
 * gap notice (Redis kept the history).
 */
describe('demo page catches up after a restart (two instances, one Redis)', () => {
  let redis: RedisServer;
  let a: AppProcess;
  let b: AppProcess;
  let browser: Browser;
  let carol: Page;
  let dave: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { REDIS_URL: redis.url, JWT_SECRET: 'demo-catch-up-secret-0123456789-abcdefghij' };
    [a, b] = await Promise.all([AppProcess.start(env), AppProcess.start(env)]);
    browser = await launchChromium();
    carol = await openPage(browser, a.http, 'carol', pageErrors);
    dave = await openPage(browser, b.http, 'dave', pageErrors);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  afterEach(() => {
    expect(pageErrors.splice(0)).toEqual([]);
  });

  it('shows what was sent while its server was down, marked caught up, then live again', async () => {
    await signIn(carol, 'carol');
    await signIn(dave, 'dave');
    await openChat(carol, 'dave');
    await openChat(dave, 'carol');
    await say(dave, 'Are you on shift?');
    await waitForIncoming(carol, 'dave', 'Are you on shift?');

    await a.stop();
    await waitForNotOpen(carol, 'chat');
    await waitForNotOpen(carol, 'push');
    // Carol is in no chat now: dave's message goes to her push channel, and into the chat's history.
    await say(dave, 'Bed 12 needs you when you are back');
    await dave.getByTestId('chat-log').locator('.msg.mine .tick', { hasText: '✓' }).last().waitFor();
    const login = await post(b.http, '/api/auth/dev-login', { username: 'admin', roles: ['admin'] });
    const { token } = (await login.json()) as { token: string };
    const pushed = await post(b.http, '/api/push/carol', { event: { kind: 'shift-change', ward: '2B' } }, token);
    expect(pushed.status).toBe(202);

    await a.start();
    for (const socket of ['all', 'push', 'chat'] as const) await waitForState(carol, socket, 'open');
    const log = carol.getByTestId('chat-log');
    await log.locator('.msg.theirs.caught-up', { hasText: 'Bed 12 needs you when you are back' }).waitFor();
    await expect(log.locator('.msg.theirs.caught-up .caught-up-label').count()).resolves.toBe(1);
    const notifications = carol.getByTestId('notifications');
    await notifications.locator('.notification.caught-up', { hasText: 'shift-change' }).waitFor();
    await notifications.locator('.notification.caught-up', { hasText: 'dave: Bed 12 needs you' }).waitFor();
    // The message dave sent before the stop is not shown again.
    await expect(log.locator('.msg.theirs', { hasText: 'Are you on shift?' }).count()).resolves.toBe(1);
    expect(await carol.getByTestId('notices').isHidden()).toBe(true);
    // For a look at the labels (test-results/ is not committed).
    const picture = join(__dirname, '..', '..', 'test-results', 'caught-up.png');
    mkdirSync(join(picture, '..'), { recursive: true });
    await carol.screenshot({ path: picture, fullPage: true, animations: 'disabled' });

    await say(dave, 'Welcome back');
    await log.locator('.msg.theirs:not(.caught-up)', { hasText: 'Welcome back' }).waitFor();
    await say(carol, 'On my way');
    await waitForIncoming(dave, 'carol', 'On my way');
  }, 90_000);
});
