import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '../support/ports';

/**
 * What a newcomer meets first: a missing redis-server or browser stops the run at once with one
 * message, and `node dist/main.js` reads `.env` from its working directory.
 */
const ROOT = join(__dirname, '..', '..');
const JEST = join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
const MAIN = join(ROOT, 'dist', 'main.js');

/** PATH without any directory that holds `name`. */
function pathWithout(name: string): string {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir && !existsSync(join(dir, name)))
    .join(delimiter);
}

async function runJest(testFile: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [JEST, testFile, '--selectProjects', 'e2e'], { cwd: ROOT, env });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

describe('a missing binary', () => {
  it.each([
    ['redis-server', 'REDIS_SERVER_BIN', 'test/layer/redis-channel-layer.spec.ts', 'apt-get install redis-server'],
    ['chromium', 'CHROMIUM_BIN', 'test/browser/cors.e2e-spec.ts', 'apt-get install chromium'],
  ])(
    '%s: the run stops within seconds with one message naming it, %s and the install',
    async (name, variable, file, install) => {
      const env: NodeJS.ProcessEnv = { ...process.env, PATH: pathWithout(name) };
      delete env[variable];
      const started = Date.now();
      const { code, output } = await runJest(file, env);
      expect(code).not.toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(output).toContain(`${name} not found: install it (${install}) or set ${variable} to its absolute path.`);
      expect(output).not.toContain('Tests:');
    },
  );
});

describe('.env in the working directory', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'env-file-'));
  });
  afterEach(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  function start(env: NodeJS.ProcessEnv): void {
    child = spawn(process.execPath, [MAIN], { cwd: dir, env, stdio: 'ignore' });
  }

  async function metricsStatus(port: number, token: string): Promise<number> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/metrics`, {
          headers: { authorization: `Bearer ${token}` },
        });
        return response.status;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  const baseEnv = (): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, NODE_ENV: 'test', LOG_LEVEL: 'warn' };
    return env;
  };

  it('is read at start: PORT and METRICS_TOKEN from the file take effect', async () => {
    const port = await freePort();
    writeFileSync(join(dir, '.env'), `# settings\nPORT=${port}\nMETRICS_TOKEN=token-from-the-env-file\n`);
    start(baseEnv());
    expect(await metricsStatus(port, 'token-from-the-env-file')).toBe(200);
    expect(await metricsStatus(port, 'another-token-of-16-chars')).toBe(401);
  });

  it('loses to the environment: a variable already set wins over the file', async () => {
    const port = await freePort();
    writeFileSync(join(dir, '.env'), `PORT=${port}\nMETRICS_TOKEN=token-from-the-env-file\n`);
    start({ ...baseEnv(), METRICS_TOKEN: 'token-from-the-environment' });
    expect(await metricsStatus(port, 'token-from-the-environment')).toBe(200);
    expect(await metricsStatus(port, 'token-from-the-env-file')).toBe(401);
  });

  it('stops the start with the line number when a line is malformed', async () => {
    writeFileSync(join(dir, '.env'), `PORT=0\nthis is not a setting\n`);
    child = spawn(process.execPath, [MAIN], { cwd: dir, env: baseEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(output).toContain('.env line 2: expected NAME=value');
  });
});
