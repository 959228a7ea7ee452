import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';

/** The programs some tests run, the variable that overrides each, and how to install it. */
const BINARIES = {
  'redis-server': { variable: 'REDIS_SERVER_BIN', install: 'apt-get install redis-server' },
  chromium: { variable: 'CHROMIUM_BIN', install: 'apt-get install chromium' },
} as const;

export type BinaryName = keyof typeof BINARIES;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The message a run stops with when `name` is needed and cannot be found. */
function missingBinaryMessage(name: BinaryName): string {
  const { variable, install } = BINARIES[name];
  return `${name} not found: install it (${install}) or set ${variable} to its absolute path.`;
}

/** The override variable's path if set, else the first executable `name` on PATH; undefined if none. */
function findBinary(name: BinaryName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const override = env[BINARIES[name].variable];
  if (override) return isAbsolute(override) && isExecutable(override) ? override : undefined;
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  return dirs.map((dir) => join(dir, name)).find(isExecutable);
}

/** The path of `name`, or an error carrying the one clear message. */
export function binaryPath(name: BinaryName): string {
  const path = findBinary(name);
  if (!path) throw new Error(missingBinaryMessage(name));
  return path;
}

const RELATIVE_IMPORT = /(?:from|import|require\()\s*['"](\.{1,2}\/[^'"]+)['"]/g;
const BINARY_USE = /binaryPath\(\s*'([a-z-]+)'\s*\)/g;

/**
 * The binaries a test file needs: every `binaryPath('…')` in it or in the files it imports
 * (relative imports, followed transitively), so a helper shared by many tests is counted for each.
 */
function binariesNeededBy(testFile: string, seen = new Set<string>()): Set<BinaryName> {
  const needed = new Set<BinaryName>();
  const file = [testFile, `${testFile}.ts`, join(testFile, 'index.ts')].find((path) => {
    try {
      return readFileSync(path) !== undefined;
    } catch {
      return false;
    }
  });
  if (!file || seen.has(file)) return needed;
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  for (const [, name] of source.matchAll(BINARY_USE)) if (name in BINARIES) needed.add(name as BinaryName);
  for (const [, spec] of source.matchAll(RELATIVE_IMPORT)) {
    const target = resolve(dirname(file), spec.replace(/\.js$/, ''));
    for (const name of binariesNeededBy(target, seen)) needed.add(name);
  }
  return needed;
}

/** Messages for every binary the given test files need and this machine lacks (empty: all found). */
export function missingBinaries(testFiles: readonly string[]): string[] {
  const needed = new Set<BinaryName>();
  const seen = new Set<string>();
  for (const file of testFiles) for (const name of binariesNeededBy(file, seen)) needed.add(name);
  return [...needed].filter((name) => !findBinary(name)).map(missingBinaryMessage);
}
