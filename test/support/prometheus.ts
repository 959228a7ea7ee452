/**
 * A Prometheus text-format (0.0.4) reader for the tests: enough of the format to hold `/metrics`
 * to exact values. Samples are keyed by name and labels, labels in name order, as
 * `name{a="x",b="y"}`; `# HELP` and `# TYPE` lines are kept by metric name.
 */
export class Scrape {
  readonly samples = new Map<string, number>();
  readonly help = new Map<string, string>();
  readonly types = new Map<string, string>();

  constructor(readonly text: string) {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (meta) {
        (meta[1] === 'HELP' ? this.help : this.types).set(meta[2], meta[3]);
        continue;
      }
      const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!sample) throw new Error(`not a Prometheus sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, name, value] of (sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[name] = value;
      this.samples.set(key(sample[1], labels), parseValue(sample[3]));
    }
  }

  /** The value of one series; throws when the scrape does not have it (a missing series is a failure). */
  value(name: string, labels: Record<string, string> = {}): number {
    const found = this.samples.get(key(name, labels));
    if (found === undefined) throw new Error(`no series ${key(name, labels)} in the scrape`);
    return found;
  }
}

function key(name: string, labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((label) => `${label}="${labels[label]}"`);
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** `GET /metrics` of an instance: the status, the Content-Type and, when 200, the parsed text. */
export async function scrape(
  http: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; contentType: string | null; scrape?: Scrape; body: string }> {
  const response = await fetch(`${http}/metrics`, { headers, signal: AbortSignal.timeout(5000) });
  const body = await response.text();
  const contentType = response.headers.get('content-type');
  return { status: response.status, contentType, body, scrape: response.status === 200 ? new Scrape(body) : undefined };
}

/** A scrape that must succeed. */
export async function metricsOf(http: string): Promise<Scrape> {
  const result = await scrape(http);
  if (!result.scrape) throw new Error(`GET /metrics answered ${result.status}: ${result.body}`);
  return result.scrape;
}
