import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { parse } from 'yaml';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { trustProxySetting } from '../../src/rate-limit/trust-proxy';
import {
  allDirectives,
  commandOf,
  flag,
  isDockerIgnored,
  parseDockerfile,
  parseNginx,
  resolveArgs,
  stagesOf,
  withoutFlags,
} from '../support/container-files';

/**
 * The container files read as Docker, Compose and nginx would, without any of them: the image
 * holds what the built service needs and runs it unprivileged, and the compose demo wires two
 * instances to one Redis behind a balancer that passes WebSockets and client addresses.
 */
const root = join(__dirname, '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

const dockerfile = parseDockerfile(read('Dockerfile'));
const stages = stagesOf(dockerfile);
const build = stages[0];
const runtime = stages[stages.length - 1];
const dockerignore = read('.dockerignore');
const defaults = new AppConfig();

/** The settings AppConfig validates, by the names of their environment variables. */
const knownSettings = new Set(
  getMetadataStorage()
    .getTargetValidationMetadatas(AppConfig, '', true, false)
    .map((m) => m.propertyName),
);

const runs = (stage: typeof build, command: RegExp): boolean =>
  stage.instructions.some((i) => i.keyword === 'RUN' && command.test(i.args));
const copies = (stage: typeof build) => stage.instructions.filter((i) => i.keyword === 'COPY');
const workdir = (stage: typeof build): string =>
  stage.instructions
    .filter((i) => i.keyword === 'WORKDIR')
    .pop()
    ?.args.trim() ?? '/';
/** Where each runtime COPY puts its files, as absolute paths in the image. */
const runtimeDestinations = copies(runtime).map((c) => posix.resolve(workdir(runtime), withoutFlags(c.args).pop()!));

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = posix.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('Dockerfile', () => {
  it('builds in a named stage and runs in a slim one on a pinned Node major', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build.name).toBe('build');
    for (const stage of [build, runtime]) {
      expect(resolveArgs(stage.image, dockerfile)).toMatch(/^node:\d+-[a-z]+-slim$|^node:\d+[\w.-]*-alpine$/);
    }
    expect(runs(build, /\bnpm ci\b/)).toBe(true);
    expect(runs(build, /\bnpm run build\b/)).toBe(true);
    // Dev dependencies stay behind: pruned after the build, or a production-only install.
    expect(runs(build, /\bnpm prune --omit=dev\b/) || stages.some((s) => runs(s, /\bnpm ci --omit=dev\b/))).toBe(true);
  });

  it('copies into the runtime stage only the built service and client, the production dependencies and the page', () => {
    const fromBuild = copies(runtime).filter((c) => flag(c.args, 'from') === build.name);
    const sources = fromBuild.map((c) => withoutFlags(c.args)[0]);
    expect(sources.sort()).toEqual(['/app/client/dist', '/app/dist', '/app/node_modules', '/app/package.json']);
    expect(workdir(build)).toBe('/app');
    expect(runtimeDestinations.sort()).toEqual([
      '/app/client/dist',
      '/app/dist',
      '/app/node_modules',
      '/app/package.json',
      '/app/public',
    ]);
    expect(runtime.instructions.some((i) => /^NODE_ENV=production$/.test(i.args) && i.keyword === 'ENV')).toBe(true);
  });

  it('has in the image every file the service reads next to its code (static pages, the client library)', () => {
    const needed: string[] = [];
    for (const file of sourceFiles('src')) {
      const compiledDir = posix.join(workdir(runtime), 'dist', posix.dirname(posix.relative('src', file)));
      for (const match of read(file).matchAll(/(?:join|resolve)\(__dirname((?:\s*,\s*'[^']*')+)\s*\)/g)) {
        const segments = [...match[1].matchAll(/'([^']*)'/g)].map((m) => m[1]);
        needed.push(posix.join(compiledDir, ...segments));
      }
    }
    // bootstrap.ts serves ../public and ../client/dist: at least those two.
    expect(needed).toEqual(expect.arrayContaining(['/app/public', '/app/client/dist']));
    for (const path of needed) {
      expect(runtimeDestinations.some((d) => path === d || path.startsWith(`${d}/`)) ? path : `${path} missing`).toBe(
        path,
      );
    }
  });

  it('runs node dist/main.js as a user that is not root, on the port the service listens on', () => {
    const keywords = runtime.instructions.map((i) => i.keyword);
    const user = runtime.instructions.filter((i) => i.keyword === 'USER').pop();
    expect(user?.args.trim()).toBe('node');
    expect(keywords.lastIndexOf('USER')).toBeLessThan(keywords.lastIndexOf('CMD'));
    expect(keywords).not.toContain('ENTRYPOINT');
    // Exec form: node is PID 1 and receives SIGTERM itself (graceful shutdown).
    expect(runtime.instructions.find((i) => i.keyword === 'CMD')?.args).toBe('["node", "dist/main.js"]');
    expect(commandOf(runtime.instructions.find((i) => i.keyword === 'CMD')!.args)).toEqual(['node', 'dist/main.js']);
    expect(runtime.instructions.filter((i) => i.keyword === 'EXPOSE').map((i) => i.args)).toEqual([
      String(defaults.PORT),
    ]);
  });

  it('checks /health/live with Node, the slim image having no curl', () => {
    const healthcheck = runtime.instructions.find((i) => i.keyword === 'HEALTHCHECK');
    const command = commandOf(healthcheck!.args.replace(/^.*?\bCMD\b/, ''));
    expect(command.slice(0, 2)).toEqual(['node', '-e']);
    expect(command[2]).toContain("/health/live'");
    expect(command[2]).toContain('process.env.PORT||3000');
    for (const option of ['interval', 'timeout', 'retries']) expect(flag(healthcheck!.args, option)).toBeDefined();
  });

  it('keeps node_modules, dist and local clutter out of the build context, and nothing the build copies', () => {
    for (const path of ['node_modules', 'node_modules/ws/index.js', 'dist', 'dist/main.js', '.git', 'test-results']) {
      expect(isDockerIgnored(path, dockerignore) ? path : `${path} sent`).toBe(path);
    }
    expect(isDockerIgnored('bench-results/run.json', dockerignore)).toBe(true);
    const fromContext = stages.flatMap((s) => copies(s).filter((c) => flag(c.args, 'from') === undefined));
    const sources = fromContext.flatMap((c) => withoutFlags(c.args).slice(0, -1));
    expect(sources).toEqual(expect.arrayContaining(['package-lock.json', 'src', 'client', 'public']));
    for (const source of sources) {
      expect(existsSync(join(root, source)) ? source : `${source} absent`).toBe(source);
      expect(isDockerIgnored(source, dockerignore) ? `${source} ignored` : source).toBe(source);
    }
    expect(isDockerIgnored('src/main.ts', dockerignore)).toBe(false);
  });

  it('every package the service imports at run time is a production dependency (the image prunes the rest)', () => {
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    const imported = new Set<string>();
    const patterns = [
      /^import\s+(?!type\s)[^;]*?\sfrom\s+'([^']+)'/gm,
      /^import\s+'([^']+)'/gm,
      /\brequire\('([^']+)'\)/g,
      /\bimport\('([^']+)'\)/g,
    ];
    for (const file of sourceFiles('src')) {
      for (const pattern of patterns) for (const m of read(file).matchAll(pattern)) imported.add(m[1]);
    }
    const packages = [...imported]
      .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s))
      .map((s) =>
        s
          .split('/')
          .slice(0, s.startsWith('@') ? 2 : 1)
          .join('/'),
      );
    expect(packages).toEqual(expect.arrayContaining(['@nestjs/core', 'ioredis', 'ws']));
    expect([...new Set(packages)].filter((p) => !(p in pkg.dependencies))).toEqual([]);
  });
});

describe('docker-compose.yml', () => {
  interface Service {
    image?: string;
    build?: unknown;
    environment?: Record<string, string>;
    ports?: string[];
    volumes?: string[];
    depends_on?: Record<string, { condition: string }>;
    healthcheck?: { test: string[] };
    stop_grace_period?: string;
  }
  const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
  const services = compose.services;
  const instances = Object.keys(services).filter((name) => services[name].build !== undefined);

  /** Compose's `${NAME}`, `${NAME:-default}` and `${NAME-default}`, from `env`. */
  const interpolate = (value: string, env: Record<string, string> = {}): string =>
    value.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_, name: string, fallback?: string) => env[name] ?? fallback ?? '');
  const instanceEnv = (name: string, env: Record<string, string> = {}): Record<string, string> =>
    Object.fromEntries(Object.entries(services[name].environment ?? {}).map(([k, v]) => [k, interpolate(v, env)]));

  it('runs Redis, two instances built from the Dockerfile and an nginx balancer', () => {
    expect(services.redis.image).toBe('redis:7-alpine');
    expect(instances).toEqual(['app1', 'app2']);
    expect(services.lb.image).toMatch(/^nginx:[\w.-]*alpine$/);
    expect(Object.keys(services).sort()).toEqual(['app1', 'app2', 'lb', 'redis']);
  });

  it('points every instance at the redis service, after it is healthy', () => {
    expect(services.redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    for (const name of instances) {
      const url = new URL(instanceEnv(name).REDIS_URL);
      expect([url.protocol, url.hostname, url.port]).toEqual(['redis:', 'redis', '6379']);
      expect(services[name].depends_on?.redis).toEqual({ condition: 'service_healthy' });
    }
  });

  it('sets only settings the service knows, each from the variable of its own name', () => {
    for (const name of instances) {
      for (const [key, value] of Object.entries(services[name].environment ?? {})) {
        expect(knownSettings.has(key) ? key : `${key} is not a setting`).toBe(key);
        for (const m of value.matchAll(/\$\{(\w+)/g)) expect(`${key} <- ${m[1]}`).toBe(`${key} <- ${key}`);
      }
    }
    for (const env of dockerfile.filter((i) => i.keyword === 'ENV')) {
      const key = env.args.split('=')[0];
      if (!knownSettings.has(key)) expect(key).toBe('SCARF_ANALYTICS');
    }
  });

  it('starts as a local demo with dev-login, and refuses production without a secret of its own', () => {
    const demo = loadConfig(instanceEnv('app1'));
    expect([demo.NODE_ENV, demo.devLoginEnabled, demo.REDIS_URL]).toEqual(['development', true, 'redis://redis:6379']);
    // One trusted hop: the balancer's X-Forwarded-For entry is the client's address.
    expect(trustProxySetting(demo.TRUST_PROXY!)).toBe(1);
    expect(() => loadConfig(instanceEnv('app1', { NODE_ENV: 'production' }))).toThrow(/JWT_SECRET is required/);
    const secret = 'a-production-secret-of-32-characters-or-more';
    const production = loadConfig(instanceEnv('app1', { NODE_ENV: 'production', JWT_SECRET: secret }));
    expect([production.JWT_SECRET, production.devLoginEnabled]).toEqual([secret, false]);
  });

  it('checks readiness, publishes no instance port, and outwaits the drain on stop', () => {
    for (const name of instances) {
      const test = services[name].healthcheck!.test;
      expect(test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
      expect(test[3]).toContain("fetch('http://127.0.0.1:3000/health/ready')");
      // Only the balancer reaches the instances: nothing else can forge X-Forwarded-For.
      expect(services[name].ports).toBeUndefined();
      expect(Number(/^(\d+)s$/.exec(services[name].stop_grace_period!)![1]) * 1000).toBeGreaterThan(
        defaults.SHUTDOWN_GRACE_MS,
      );
    }
  });

  it('publishes the balancer on host port 8080, once the instances are healthy', () => {
    const lb = services.lb;
    expect(lb.ports!.map((p) => interpolate(p))).toEqual(['8080:80']);
    expect(lb.depends_on).toEqual({
      app1: { condition: 'service_healthy' },
      app2: { condition: 'service_healthy' },
    });
    const [source, target] = lb.volumes![0].split(':');
    expect(target).toBe('/etc/nginx/conf.d/default.conf');
    expect(existsSync(join(root, source))).toBe(true);
  });

  it('has nginx pass WebSocket upgrades, the Host and client address, to both instances', () => {
    const source = services.lb.volumes![0].split(':')[0];
    const tree = parseNginx(read(source));
    const directives = allDirectives(tree);
    const named = (name: string) => directives.filter((d) => d.name === name);

    const map = named('map')[0];
    expect(map.args).toEqual(['$http_upgrade', '$connection_upgrade']);
    expect(map.block!.map((d) => [d.name, ...d.args])).toEqual([
      ['default', 'upgrade'],
      ['', ''],
    ]);
    const upstream = named('upstream')[0];
    const servers = upstream.block!.filter((d) => d.name === 'server').map((d) => d.args[0]);
    expect(servers).toEqual(instances.map((name) => `${name}:${defaults.PORT}`));

    const location = named('location').find((d) => d.args[0] === '/')!;
    const inLocation = (name: string) => location.block!.filter((d) => d.name === name).map((d) => d.args);
    expect(inLocation('proxy_pass')).toEqual([[`http://${upstream.args[0]}`]]);
    expect(inLocation('proxy_http_version')).toEqual([['1.1']]);
    expect(inLocation('proxy_set_header')).toEqual(
      expect.arrayContaining([
        ['Upgrade', '$http_upgrade'],
        ['Connection', '$connection_upgrade'],
        ['Host', '$http_host'],
        ['X-Forwarded-For', '$proxy_add_x_forwarded_for'],
      ]),
    );
    // Longer than two of the instances' ping intervals, so a socket is never cut by nginx first.
    const seconds = { s: 1, m: 60, h: 3600 };
    for (const name of ['proxy_read_timeout', 'proxy_send_timeout']) {
      const [, amount, unit] = /^(\d+)([smh])$/.exec(inLocation(name)[0][0])!;
      expect(Number(amount) * seconds[unit as 's' | 'm' | 'h'] * 1000).toBeGreaterThan(
        2 * defaults.WS_PING_INTERVAL_MS,
      );
    }
    expect(named('listen').map((d) => d.args[0])).toEqual(['80']);
  });
});
