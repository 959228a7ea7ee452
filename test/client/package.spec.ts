import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');
const clientDir = join(root, 'client');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tsc = require.resolve('typescript/bin/tsc');

/** A frontend's own code: imports the package by name, merges a topic, uses the wire types. */
const APP_TS = `
import { connect, Backoff, type ChatFrame, type ConnectOptions, type GapFrame } from '@nest-realtime/client';

declare module '@nest-realtime/client' {
  interface TopicMap {
    my_topic: { count: number };
  }
}

const options: ConnectOptions = { token: 't', WebSocket: class { readyState = 0; send() {} close() {} addEventListener() {} } };
const client = connect('ws://example.test/socket/all', options);
client.on('my_topic', (frame) => frame.data?.count.toFixed());
client.on('gap', (frame: GapFrame) => frame.first);
const chat: ChatFrame = { message: 'hi', from: 'a', group: 'a_b', ts: 1, id: 2 };
export const delay: number = new Backoff({}, () => 0).next() + chat.id;
`;

/** A strict project resolving packages as Node does (`exports`), with no DOM nor Node types. */
const APP_TSCONFIG = {
  compilerOptions: {
    noEmit: true,
    strict: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    types: [],
  },
  files: ['app.ts'],
};

/**
 * What a frontend gets: `npm pack` of client/ (after `npm run build`), installed from the tarball
 * into an empty project, type-checked by tsc against its self-contained index.d.ts and imported
 * by plain Node as an ES module.
 */
describe('the client package', () => {
  let work: string;
  let tarball: string;

  beforeAll(async () => {
    if (!existsSync(join(clientDir, 'dist', 'index.js'))) {
      throw new Error('client/dist/index.js is missing: build first (npm run build)');
    }
    work = await mkdtemp(join(tmpdir(), 'client-package-'));
    const { stdout } = await run(npm, ['pack', '--json', '--pack-destination', work], { cwd: clientDir });
    tarball = join(work, (JSON.parse(stdout) as Array<{ filename: string }>)[0].filename);
    const app = join(work, 'app');
    await run('mkdir', ['-p', app]);
    await writeFile(join(app, 'package.json'), '{"name":"app","private":true,"type":"module"}');
    await run(npm, ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', tarball], {
      cwd: app,
      timeout: 60000,
    });
  }, 90000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('holds only the built module, its types and the README', async () => {
    const installed = join(work, 'app', 'node_modules', '@nest-realtime', 'client');
    const files = (await readdir(join(installed, 'dist'))).sort();
    expect(files).toEqual(['index.d.ts', 'index.js', 'index.js.map']);
    const types = await readFile(join(installed, 'dist', 'index.d.ts'), 'utf8');
    // Self-contained: the wire types are inlined, nothing is imported from outside the package.
    expect(types).not.toMatch(/from ['"]\./);
    expect(types).toMatch(/interface ChatMessage/);
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.dependencies).toBeUndefined();
  });

  it('type-checks a TypeScript file that imports it by name', async () => {
    const app = join(work, 'app');
    await writeFile(join(app, 'app.ts'), APP_TS);
    await writeFile(join(app, 'tsconfig.json'), JSON.stringify(APP_TSCONFIG));
    const checked = run(process.execPath, [tsc, '-p', app], { cwd: app, timeout: 60000 });
    await expect(
      checked.catch((error: { stdout: string }) => Promise.reject(new Error(error.stdout))),
    ).resolves.toBeDefined();
  }, 60000);

  it('imports in plain Node (no bundler, no DOM) and refuses a URL that is not ws(s)', async () => {
    const script = `
      const client = await import('@nest-realtime/client');
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
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: join(work, 'app'),
      timeout: 30000,
    });
    expect(JSON.parse(stdout)).toEqual({
      exports: ['Backoff', 'connect'],
      refused: 'TypeError',
      missing: expect.stringMatching(/WebSocket/),
      delay: 500,
    });
  });
});
