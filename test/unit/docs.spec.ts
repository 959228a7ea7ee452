import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The documentation holds together: every relative link and image in every Markdown file of the
 * repository resolves to a file or folder inside it (and an anchor to a heading of its target),
 * no word a reader cannot look up is used, and every backticked source path names something that
 * exists. Pure: reads files, starts nothing.
 */

const ROOT = join(__dirname, '..', '..');
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git', 'coverage', 'test-results', 'bench-results']);
/** Words that point at things outside the repository, or at its history, which a reader cannot look up. */
const FORBIDDEN = [
  /\bseeds?\b/i,
  /\borigin articles\b/i,
  /\bissue\s+#?\d/i,
  /\.\.\/shared/i,
  /\bCONTRACT\.md\b/i,
  /\bSTYLE\.md\b/i,
  /\bdesign card\b/i,
  /\bhelper\b/i,
  /\bsession\b/i,
];
/** Backticked text starting with one of these is a path in the repository. */
const PATH_PREFIX = /^(src|test|client|bench|public|docs|deploy)\//;
/** Build output (`client/dist/`, `bench/dist/`) exists only after `npm run build`. */
const BUILT = /(^|\/)dist(\/|$)/;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : walk(join(dir, entry.name));
    return [relative(ROOT, join(dir, entry.name)).split(sep).join('/')];
  });
}

const FILES = walk(ROOT);
const MARKDOWN = FILES.filter((file) => file.endsWith('.md'));

/** Fenced code blocks hold examples, not links or paths to check. */
function withoutFences(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of withoutFences(markdown).split('\n')) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1]
      .replace(/`/g, '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

function globToRegExp(glob: string): RegExp {
  const segment = (part: string): string =>
    part
      .replace(/[.+^$()|[\]\\]/g, '\\$&')
      .replace(/\{([^}]*)\}/g, (_, alternatives: string) => `(${alternatives.split(',').join('|')})`)
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]');
  return new RegExp(`^${glob.split('**').map(segment).join('.*')}$`);
}

function pathExists(path: string): boolean {
  if (!/[*?{]/.test(path)) return existsSync(join(ROOT, path));
  const pattern = globToRegExp(path.replace(/\/$/, ''));
  return FILES.some((file) => pattern.test(file) || pattern.test(dirname(file)));
}

function brokenLinks(file: string): string[] {
  const text = withoutFences(readFileSync(join(ROOT, file), 'utf8'));
  const broken: string[] = [];
  for (const match of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const link = match[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue;
    const [target, anchor] = link.split('#');
    const path = target === '' ? join(ROOT, file) : resolve(ROOT, dirname(file), decodeURIComponent(target));
    if (!path.startsWith(ROOT + sep) || !existsSync(path)) {
      broken.push(`${link}: no such file in the repository`);
    } else if (anchor && path.endsWith('.md') && !anchorsOf(readFileSync(path, 'utf8')).has(anchor)) {
      broken.push(`${link}: no heading #${anchor} in ${relative(ROOT, path)}`);
    }
  }
  return broken;
}

/** A path is the repository's, or (in a package's own README, e.g. `client/`) the file's folder's. */
function missingPaths(file: string): string[] {
  const text = withoutFences(readFileSync(join(ROOT, file), 'utf8'));
  const paths = [...text.matchAll(/`([^`\n]+)`/g)]
    .map((match) => match[1])
    .filter((code) => PATH_PREFIX.test(code) && !BUILT.test(code));
  const folder = dirname(file) === '.' ? '' : `${dirname(file)}/`;
  return paths.filter((path) => !/\s/.test(path) && !pathExists(path) && !pathExists(folder + path));
}

function forbiddenWords(file: string): string[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  return lines.flatMap((line, index) =>
    FORBIDDEN.filter((word) => word.test(line)).map((word) => `line ${index + 1}: ${word.source}`),
  );
}

describe('documentation', () => {
  it('finds the Markdown files', () => {
    expect(MARKDOWN).toEqual(expect.arrayContaining(['README.md', 'docs/protocol.md', 'bench/README.md']));
  });

  it.each(MARKDOWN)('%s: every relative link and image resolves inside the repository', (file) => {
    expect(brokenLinks(file)).toEqual([]);
  });

  it.each(MARKDOWN)('%s: every backticked path exists', (file) => {
    expect(missingPaths(file)).toEqual([]);
  });

  it.each([...MARKDOWN, 'docs/asyncapi.yaml'])('%s: no word a reader cannot look up', (file) => {
    expect(forbiddenWords(file)).toEqual([]);
  });

  it('README.md has the two quick-start commands', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toMatch(/^npm test\b/m);
  });

  it('the anchor rule matches GitHub for headings with code and punctuation', () => {
    expect(anchorsOf('## `/ws/chat/:group`\n## Limits and failure behaviour\n## Limits and failure behaviour')).toEqual(
      new Set(['wschatgroup', 'limits-and-failure-behaviour', 'limits-and-failure-behaviour-1']),
    );
    expect(statSync(join(ROOT, 'docs')).isDirectory()).toBe(true);
  });
});
