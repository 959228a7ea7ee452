import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { binaryPath } from '../support/binaries';
import { Instance } from '../support/instance';
import { signToken, TEST_SECRET } from '../support/tokens';

/**
 * CORS in a real browser (Debian's Chromium): a page on an allowed origin reads the API's
 * responses, helmet's `Cross-Origin-Resource-Policy: same-origin` notwithstanding (it governs
 * no-cors loads, not a CORS fetch), and the `Retry-After` of a 429; a page on another origin can
 * neither read a response nor open a socket. The page and the service are on different ports of
 * loopback, hence different origins. The tests run in order: the second one's 429 on its third
 * GET (HTTP_RATE_PER_MIN=2) shows the first one's refused preflight was not counted.
 */
const CHROMIUM = binaryPath('chromium');
const token = signToken({ sub: 'alice' });

interface Outcome {
  fetch: { status: number; body: unknown; retryAfter: string | null }[] | string;
  socket: 'open' | 'refused';
}

/** In the page: three authorised GETs (a preflight first: `Authorization` is not a simple header), then a socket. */
function tryFromPage(page: Page, api: string): Promise<Outcome> {
  return page.evaluate(
    async ({ api, token }) => {
      let fetched: Outcome['fetch'];
      try {
        fetched = [];
        for (let n = 0; n < 3; n += 1) {
          const response = await fetch(`${api}/api/groups/chat_all_data`, {
            headers: { authorization: `Bearer ${token}` },
          });
          fetched.push({
            status: response.status,
            body: await response.json(),
            retryAfter: response.headers.get('retry-after'),
          });
        }
      } catch (error) {
        fetched = String(error);
      }
      const socket = await new Promise<'open' | 'refused'>((resolve) => {
        const ws = new WebSocket(`${api.replace(/^http/, 'ws')}/socket/all?token=${token}`);
        ws.onopen = () => {
          ws.close();
          resolve('open');
        };
        ws.onerror = () => resolve('refused');
      });
      return { fetch: fetched, socket };
    },
    { api, token },
  );
}

describe('CORS in Chromium', () => {
  let pages: Server;
  let pagePort: number;
  let server: Instance;
  let browser: Browser;

  beforeAll(async () => {
    pages = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end('<!doctype html><title>another origin</title>');
    });
    pages.listen(0, '127.0.0.1');
    await once(pages, 'listening');
    pagePort = (pages.address() as AddressInfo).port;
    server = await Instance.start({
      JWT_SECRET: TEST_SECRET,
      ALLOWED_ORIGINS: `http://localhost:${pagePort}`,
      HTTP_RATE_PER_MIN: '2',
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    pages?.closeAllConnections();
    pages?.close();
  });

  const open = async (origin: string): Promise<Page> => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${origin}/`);
    return page;
  };

  test('another origin can neither read a response nor open a socket; nothing counted against the rate limit', async () => {
    const page = await open(`http://127.0.0.1:${pagePort}`);
    expect(await tryFromPage(page, server.http)).toEqual({ fetch: 'TypeError: Failed to fetch', socket: 'refused' });
    await page.context().close();
  });

  test('the allowed origin reads the responses (CORP same-origin does not block a CORS fetch) and the 429 Retry-After; its socket opens', async () => {
    const page = await open(`http://localhost:${pagePort}`);
    const outcome = await tryFromPage(page, server.http);
    const ok = { status: 200, body: { group: 'chat_all_data', connections: 0 }, retryAfter: null };
    expect(outcome).toEqual({
      fetch: [
        ok,
        ok,
        {
          status: 429,
          body: expect.objectContaining({ statusCode: 429 }),
          retryAfter: expect.stringMatching(/^[1-9][0-9]*$/),
        },
      ],
      socket: 'open',
    });
    await page.context().close();
  });
});
