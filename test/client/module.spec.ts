import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');

/**
 * What a browser gets: client/tsconfig.json's ES module build. Built into a temporary folder
 * (not dist/, which the app serves) and imported by plain Node as an ES module, which resolves
 * relative imports exactly like a browser: only with their `.js` extension.
 */
describe('the client build', () => {
  let out: string;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'realtime-client-'));
    const tsc = require.resolve('typescript/bin/tsc');
    await run(process.execPath, [tsc, '-p', join(root, 'client/tsconfig.json'), '--outDir', out], {
      timeout: 60000,
    });
    // Mark the folder as ES modules, as a browser's <script type="module"> does.
    await writeFile(join(out, 'package.json'), '{"type":"module"}');
  }, 90000);

  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('emits an ES module with declarations for every source file', async () => {
    const files = await readdir(out);
    for (const name of ['realtime-client', 'backoff', 'heartbeat', 'types']) {
      expect(files).toContain(`${name}.js`);
      expect(files).toContain(`${name}.d.ts`);
    }
    const entry = await readFile(join(out, 'realtime-client.js'), 'utf8');
    expect(entry).toMatch(/^export function connect\(/m);
    expect(entry).not.toMatch(/\brequire\(/);
    // Every relative import names its file, as a browser needs.
    for (const specifier of entry.matchAll(/from '(\.[^']*)'/g)) expect(specifier[1]).toMatch(/\.js$/);
  });

  it('loads in plain Node (no bundler, no DOM) and refuses a URL that is not ws(s)', async () => {
    const script = `
      const client = await import(${JSON.stringify(join(out, 'realtime-client.js'))});
      let refused = '';
      try { client.connect('http://example.test/socket/all', { token: 't', WebSocket: class {} }); }
      catch (error) { refused = error.constructor.name; }
      let missing = '';
      try { client.connect('ws://example.test/socket/all', { token: 't' }); }
      catch (error) { missing = error.message; }
      console.log(JSON.stringify({
        exports: Object.keys(client).sort(),
        refused,
        missing,
        delay: new client.Backoff({}, () => 0).next(),
      }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 30000 });
    expect(JSON.parse(stdout)).toEqual({
      exports: ['Backoff', 'connect'],
      refused: 'TypeError',
      missing: expect.stringMatching(/WebSocket/),
      delay: 500,
    });
  });
});
