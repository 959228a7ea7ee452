/**
 * Small readers for the container files (Dockerfile, nginx config, .dockerignore), so their tests
 * run without Docker or nginx. Each follows its tool's rules as far as these files use them.
 */

export interface Instruction {
  /** Upper-cased: FROM, RUN, COPY, … */
  keyword: string;
  /** Everything after the keyword, continuation lines joined with a space. */
  args: string;
  /** 1-based line of the keyword. */
  line: number;
}

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

/**
 * Dockerfile instructions: `#` comment lines and blank lines dropped (also inside continuations,
 * as Docker does), a trailing `\` joins the next line.
 */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { parts: string[]; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || trimmed === '') return;
    const continues = trimmed.endsWith('\\');
    const part = continues ? trimmed.slice(0, -1).trim() : trimmed;
    pending ??= { parts: [], line: index + 1 };
    if (part !== '') pending.parts.push(part);
    if (continues) return;
    const joined = pending.parts.join(' ');
    const match = /^(\S+)\s*(.*)$/.exec(joined);
    if (match) instructions.push({ keyword: match[1].toUpperCase(), args: match[2], line: pending.line });
    pending = undefined;
  });
  return instructions;
}

/** Instructions grouped by `FROM`; `ARG`s before the first `FROM` are left out. */
export function stagesOf(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const words = withoutFlags(instruction.args);
      const as = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ image: words[0], name: as >= 0 ? words[as + 1] : undefined, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return stages;
}

/** The words of an instruction's arguments without its `--flag` / `--flag=value` options. */
export function withoutFlags(args: string): string[] {
  return args.split(/\s+/).filter((w) => w !== '' && !w.startsWith('--'));
}

/** The value of `--name=value` in an instruction's arguments. */
export function flag(args: string, name: string): string | undefined {
  return new RegExp(`(?:^|\\s)--${name}=(\\S+)`).exec(args)?.[1];
}

/** The command of CMD / ENTRYPOINT / HEALTHCHECK CMD: exec form (JSON array) or shell form. */
export function commandOf(args: string): string[] {
  const trimmed = args.trim();
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as string[];
  return ['/bin/sh', '-c', trimmed];
}

/** `${NAME}` / `${NAME:-default}` references in a Dockerfile's FROM line, resolved from its ARGs. */
export function resolveArgs(value: string, instructions: Instruction[]): string {
  const defaults = new Map<string, string>();
  for (const { keyword, args } of instructions) {
    const match = keyword === 'ARG' ? /^([A-Za-z_][A-Za-z0-9_]*)=(\S+)$/.exec(args.trim()) : null;
    if (match) defaults.set(match[1], match[2]);
  }
  return value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (whole, name: string) => defaults.get(name) ?? whole);
}

export interface NginxDirective {
  name: string;
  args: string[];
  block?: NginxDirective[];
}

/** nginx configuration: directives ending in `;` and blocks in braces, `#` comments, quoted words. */
export function parseNginx(text: string): NginxDirective[] {
  const tokens = text.match(/#[^\n]*|'[^']*'|"[^"]*"|[{};]|[^\s{};'"#]+/g) ?? [];
  let position = 0;
  const readBlock = (): NginxDirective[] => {
    const directives: NginxDirective[] = [];
    let words: string[] = [];
    while (position < tokens.length) {
      const token = tokens[position++];
      if (token.startsWith('#')) continue;
      if (token === '}') break;
      if (token === ';' || token === '{') {
        const [name, ...args] = words;
        directives.push(token === '{' ? { name, args, block: readBlock() } : { name, args });
        words = [];
      } else {
        words.push(/^(['"]).*\1$/s.test(token) ? token.slice(1, -1) : token);
      }
    }
    if (words.length > 0) throw new Error(`nginx: unterminated directive ${words.join(' ')}`);
    return directives;
  };
  return readBlock();
}

/** Every directive of the tree, depth first. */
export function allDirectives(tree: NginxDirective[]): NginxDirective[] {
  return tree.flatMap((d) => [d, ...allDirectives(d.block ?? [])]);
}

/**
 * Whether `.dockerignore` keeps `path` out of the build context: Docker's rules (the last matching
 * pattern wins, `!` re-includes, a pattern matches a path or any folder above it, `*` within a
 * name, `**` across folders).
 */
export function isDockerIgnored(path: string, dockerignore: string): boolean {
  const patterns = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const prefixes = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const regex = globToRegExp((negated ? pattern.slice(1) : pattern).replace(/^\/+|\/+$/g, ''));
    if (prefixes.some((p) => regex.test(p))) ignored = !negated;
  }
  return ignored;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split(/(\*\*\/?|\*|\?)/)
    .map((part) => {
      if (part === '**/' || part === '**') return '(?:.*/)?' + (part === '**' ? '.*' : '');
      if (part === '*') return '[^/]*';
      if (part === '?') return '[^/]';
      return part.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${body}$`);
}
