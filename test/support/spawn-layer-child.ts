import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { withTimeout } from './wait';

/**
 * Runs `layer-child.ts` in a new Node process. There is no ts-node here, so the child registers a
 * tiny require hook that transpiles `.ts` with the project's own TypeScript (no type check: tsc
 * checks these files with the rest).
 */
const TS_HOOK = `
const ts = require('typescript');
const fs = require('fs');
require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};
require(process.argv[1]);
`;

export interface LayerChild {
  process: ChildProcess;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
}

export async function spawnLayerChild(env: Record<string, string>, timeoutMs = 15_000): Promise<LayerChild> {
  const child = spawn(process.execPath, ['-e', TS_HOOK, join(__dirname, 'layer-child.ts')], {
    cwd: join(__dirname, '..', '..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
      if (/^ready$/m.test(output)) resolve();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('exit', (code) => reject(new Error(`layer child exited (${code}):\n${output}`)));
  });
  try {
    await withTimeout(ready, timeoutMs, 'the layer child to be ready');
  } catch (error) {
    await kill();
    throw error;
  }
  return { process: child, kill };
}
