/**
 * The figures of the report, computed once: medians over the repeats and the targets
 * read off them. `report-markdown.ts` and `report-svg.ts` only lay them out.
 */
import { median } from './common';

export interface MetricDef {
  key: string;
  label: string;
  better: 'higher' | 'lower';
}

export interface ScenarioDef {
  /** `fanout-10000`, `chat`, `idle`, `connect` */
  id: string;
  title: string;
  metrics: MetricDef[];
  /** What `delivered/expected` counts in this scenario. */
  unit: string;
  /** Title of the latency curve, if the scenario has one. */
  curve?: string;
}

export interface RunRecord {
  scenario: string;
  variant: string;
  rep: number;
  /** Position of the run within its repeat (the order alternates between repeats). */
  position: number;
  ok: boolean;
  /** Not started: the --max-minutes deadline had passed. */
  skipped?: boolean;
  error?: string;
  metrics: Record<string, number>;
  delivered: number;
  expected: number;
  notes: string[];
  seconds: number;
  /** 1-minute load average of the machine when the run started (others' work shows here). */
  load1: number;
}

export interface CurvePoint {
  p: number;
  ms: number;
}

export interface Summary {
  scenario: string;
  variant: string;
  runs: number;
  failed: number;
  skipped: number;
  medians: Record<string, number>;
  delivered: number;
  expected: number;
  curve?: CurvePoint[];
}

export const CURVE_PERCENTILES = [
  0, 1, 2, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 97, 98, 99, 99.5, 99.9, 100,
];

export function summarise(scenario: string, variant: string, runs: RunRecord[], metrics: MetricDef[]): Summary {
  const all = runs.filter((r) => r.scenario === scenario && r.variant === variant);
  const mine = all.filter((r) => !r.skipped);
  const medians: Record<string, number> = {};
  for (const m of metrics) medians[m.key] = median(mine.filter((r) => r.ok).map((r) => r.metrics[m.key]));
  return {
    scenario,
    variant,
    runs: mine.length,
    failed: mine.filter((r) => !r.ok).length,
    skipped: all.length - mine.length,
    medians,
    delivered: mine.reduce((sum, r) => sum + r.delivered, 0),
    expected: mine.reduce((sum, r) => sum + r.expected, 0),
  };
}

export function fmt(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString('en-US');
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

export const VARIANT_TITLES: Record<string, string> = {
  ours: 'this service',
  floor: 'floor (bare ws)',
  socketio: 'Socket.IO 4',
  'ours-redis': 'this service ×2 + Redis',
  'floor-redis': 'floor ×2 + Redis pub/sub',
  'socketio-redis': 'Socket.IO 4 ×2 + redis-adapter',
};

export interface TargetLine {
  ok: boolean | undefined;
  text: string;
}

/** The targets, read off the medians. `ok` undefined: a side was not run. */
export function targets(scenarios: ScenarioDef[], summaries: Map<string, Summary>): TargetLine[] {
  const out: TargetLine[] = [];
  const get = (sc: string, v: string, key: string): number => summaries.get(`${sc}|${v}`)?.medians[key] ?? NaN;
  const check = (text: string, ours: number, other: number, op: '>=' | '<=', factor: number, add = 0): void => {
    const bound = other * factor + add;
    const ok =
      Number.isFinite(ours) && Number.isFinite(bound) ? (op === '>=' ? ours >= bound : ours <= bound) : undefined;
    out.push({ ok, text: `${text}: ${fmt(ours)} ${op} ${fmt(bound)}` });
  };
  for (const sc of scenarios) {
    if (sc.id.startsWith('fanout')) {
      check(
        `${sc.title}, one instance: deliveries/s ≥ 0.9 × floor`,
        get(sc.id, 'ours', 'deliveries_per_s'),
        get(sc.id, 'floor', 'deliveries_per_s'),
        '>=',
        0.9,
      );
      check(
        `${sc.title}, one instance: server CPU µs/delivery ≤ 1.3 × floor`,
        get(sc.id, 'ours', 'cpu_us_per_delivery'),
        get(sc.id, 'floor', 'cpu_us_per_delivery'),
        '<=',
        1.3,
      );
      check(
        `${sc.title}, one instance: p99 ≤ 1.2 × floor`,
        get(sc.id, 'ours', 'p99_ms'),
        get(sc.id, 'floor', 'p99_ms'),
        '<=',
        1.2,
      );
      check(
        `${sc.title}, two instances: deliveries/s ≥ 0.9 × floor ×2`,
        get(sc.id, 'ours-redis', 'deliveries_per_s'),
        get(sc.id, 'floor-redis', 'deliveries_per_s'),
        '>=',
        0.9,
      );
    } else if (sc.id === 'chat') {
      check(
        `${sc.title}, one instance: messages/s ≥ 0.8 × floor`,
        get(sc.id, 'ours', 'msgs_per_s'),
        get(sc.id, 'floor', 'msgs_per_s'),
        '>=',
        0.8,
      );
      check(
        `${sc.title}, two instances: messages/s ≥ 0.8 × floor ×2`,
        get(sc.id, 'ours-redis', 'msgs_per_s'),
        get(sc.id, 'floor-redis', 'msgs_per_s'),
        '>=',
        0.8,
      );
    } else if (sc.id === 'idle') {
      check(
        `${sc.title}, one instance: KiB/connection ≤ floor + 3`,
        get(sc.id, 'ours', 'kib_per_conn'),
        get(sc.id, 'floor', 'kib_per_conn'),
        '<=',
        1,
        3,
      );
    }
  }
  for (const [ours, sio] of [
    ['ours', 'socketio'],
    ['ours-redis', 'socketio-redis'],
  ]) {
    const behind: string[] = [];
    let compared = 0;
    for (const sc of scenarios) {
      for (const m of sc.metrics) {
        const a = get(sc.id, ours, m.key);
        const b = get(sc.id, sio, m.key);
        if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
        compared++;
        if (m.better === 'higher' ? a < b : a > b) behind.push(`${sc.title} ${m.label} (${fmt(a)} vs ${fmt(b)})`);
      }
    }
    out.push({
      ok: compared === 0 ? undefined : behind.length === 0,
      text: `${VARIANT_TITLES[ours]} ahead of ${VARIANT_TITLES[sio]} on every figure: ahead on ${compared - behind.length}/${compared}${behind.length ? `; behind on ${behind.join(', ')}` : ''}`,
    });
  }
  const losses: string[] = [];
  let seen = 0;
  for (const s of summaries.values()) {
    if (!s.variant.startsWith('ours') || s.runs === 0) continue;
    seen++;
    if (s.delivered !== s.expected || s.failed > 0)
      losses.push(`${s.scenario} on ${s.variant}: ${s.delivered}/${s.expected}`);
  }
  out.push({
    ok: seen === 0 ? undefined : losses.length === 0,
    text: `zero loss on this service: ${losses.length === 0 ? 'none lost' : losses.join('; ')}`,
  });
  return out;
}
