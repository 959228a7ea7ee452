/** Medians, ratios to this service, the targets of issue 4, the Markdown table and the SVG chart. */
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

function ratio(value: number, ours: number): string {
  if (!Number.isFinite(value) || !Number.isFinite(ours) || ours === 0) return '';
  return ` (${(value / ours).toFixed(2)}×)`;
}

export const VARIANT_TITLES: Record<string, string> = {
  ours: 'this service',
  floor: 'floor (bare ws)',
  socketio: 'Socket.IO 4',
  'ours-redis': 'this service ×2 + Redis',
  'floor-redis': 'floor ×2 + Redis pub/sub',
  'socketio-redis': 'Socket.IO 4 ×2 + redis-adapter',
};

function lossCell(s: Summary | undefined, unit: string): string {
  if (!s || s.runs === 0) return 'not run';
  const failed =
    (s.failed > 0 ? ` **${s.failed}/${s.runs} runs failed**` : '') +
    (s.skipped > 0 ? ` (${s.runs} of ${s.runs + s.skipped} repeats run)` : '');
  if (s.delivered === s.expected)
    return `${s.delivered.toLocaleString('en-US')}/${s.expected.toLocaleString('en-US')}${failed}`;
  const lost = s.expected - s.delivered;
  const word = lost > 0 ? `LOSS ${lost.toLocaleString('en-US')} ${unit}` : `${(-lost).toLocaleString('en-US')} EXTRA`;
  return `**${s.delivered.toLocaleString('en-US')}/${s.expected.toLocaleString('en-US')} ${word}**${failed}`;
}

/** One Markdown table per mode: rows are figures, columns the servers, cells `median (ratio to ours)`. */
export function markdownTable(
  scenarios: ScenarioDef[],
  variants: string[],
  summaries: Map<string, Summary>,
  base: string,
): string {
  const lines = [
    `| scenario | figure | ${variants.map((v) => VARIANT_TITLES[v] ?? v).join(' | ')} |`,
    `|---|---|${variants.map(() => '---:').join('|')}|`,
  ];
  for (const sc of scenarios) {
    const ours = summaries.get(`${sc.id}|${base}`);
    if (!variants.some((v) => summaries.get(`${sc.id}|${v}`)?.runs)) continue;
    sc.metrics.forEach((m, i) => {
      const cells = variants.map((v) => {
        const s = summaries.get(`${sc.id}|${v}`);
        if (!s || s.runs === 0) return 'not run';
        const value = s.medians[m.key];
        return v === base ? fmt(value) : `${fmt(value)}${ratio(value, ours?.medians[m.key] ?? NaN)}`;
      });
      const arrow = m.better === 'higher' ? '↑' : '↓';
      lines.push(`| ${i === 0 ? sc.title : ''} | ${m.label} ${arrow} | ${cells.join(' | ')} |`);
    });
    const loss = variants.map((v) => lossCell(summaries.get(`${sc.id}|${v}`), sc.unit));
    lines.push(`| | delivered/expected (all repeats) | ${loss.join(' | ')} |`);
  }
  return lines.join('\n');
}

export interface TargetLine {
  ok: boolean | undefined;
  text: string;
}

/** The targets of issue 4, read off the medians. `ok` undefined: a side was not run. */
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

export function targetLines(lines: TargetLine[]): string {
  return lines.map((l) => `- ${l.ok === undefined ? '·' : l.ok ? '✅' : '❌'} ${l.text}`).join('\n');
}

const COLORS: Record<string, string> = { ours: '#d62728', floor: '#2ca02c', socketio: '#1f77b4' };

export interface Panel {
  title: string;
  series: { variant: string; points: CurvePoint[] }[];
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Latency CDFs, one panel per scenario: x is latency (log scale), y the share of samples at or below it. */
export function latencySvg(panels: Panel[], subtitle: string): string {
  const W = 560;
  const H = 330;
  const M = { l: 52, r: 16, t: 34, b: 44 };
  const cols = Math.min(2, Math.max(1, panels.length));
  const rows = Math.ceil(panels.length / cols);
  const out: string[] = [];
  const legendH = 26 + 18 * 6;
  const width = cols * W;
  const height = rows * H + legendH + 30;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
  );
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="10" y="20" font-size="14" font-weight="bold">Latency distribution (pooled over repeats)</text>`);
  out.push(`<text x="10" y="36" fill="#555">${esc(subtitle)}</text>`);
  panels.forEach((panel, index) => {
    const ox = (index % cols) * W;
    const oy = 40 + Math.floor(index / cols) * H;
    const all = panel.series.flatMap((s) => s.points.map((p) => p.ms)).filter((v) => v > 0 && Number.isFinite(v));
    if (all.length === 0) return;
    const lo = Math.pow(10, Math.floor(Math.log10(Math.max(0.01, Math.min(...all)))));
    const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all))));
    const pw = W - M.l - M.r;
    const ph = H - M.t - M.b;
    const x = (ms: number): number =>
      ox + M.l + ((Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * pw;
    const y = (p: number): number => oy + M.t + ph - (p / 100) * ph;
    out.push(`<text x="${ox + M.l}" y="${oy + 20}" font-size="13" font-weight="bold">${esc(panel.title)}</text>`);
    out.push(`<rect x="${ox + M.l}" y="${oy + M.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
    for (let p = 0; p <= 100; p += 20) {
      out.push(`<line x1="${ox + M.l}" x2="${ox + M.l + pw}" y1="${y(p)}" y2="${y(p)}" stroke="#eee"/>`);
      out.push(`<text x="${ox + M.l - 6}" y="${y(p) + 4}" text-anchor="end">${p}%</text>`);
    }
    out.push(
      `<line x1="${ox + M.l}" x2="${ox + M.l + pw}" y1="${y(99)}" y2="${y(99)}" stroke="#bbb" stroke-dasharray="2,3"/>`,
    );
    out.push(`<text x="${ox + M.l + pw - 2}" y="${y(99) - 3}" text-anchor="end" fill="#888">p99</text>`);
    for (let decade = lo; decade <= hi * 1.0001; decade *= 10) {
      for (const m of [1, 2, 5]) {
        const v = decade * m;
        if (v > hi * 1.0001) break;
        out.push(
          `<line x1="${x(v)}" x2="${x(v)}" y1="${oy + M.t}" y2="${oy + M.t + ph}" stroke="${m === 1 ? '#ddd' : '#f3f3f3'}"/>`,
        );
        out.push(
          `<text x="${x(v)}" y="${oy + M.t + ph + 14}" text-anchor="middle">${v >= 1 ? v.toFixed(0) : v.toPrecision(1)}</text>`,
        );
      }
    }
    out.push(
      `<text x="${ox + M.l + pw / 2}" y="${oy + M.t + ph + 32}" text-anchor="middle">milliseconds (log scale)</text>`,
    );
    for (const s of panel.series) {
      const kind = s.variant.replace('-redis', '');
      const dash = s.variant.endsWith('-redis') ? ' stroke-dasharray="6,4"' : '';
      const pts = s.points
        .filter((p) => Number.isFinite(p.ms))
        .map((p) => `${x(p.ms).toFixed(1)},${y(p.p).toFixed(1)}`)
        .join(' ');
      out.push(`<polyline fill="none" stroke="${COLORS[kind] ?? '#333'}" stroke-width="1.8"${dash} points="${pts}"/>`);
    }
  });
  const ly = 40 + rows * H + 10;
  Object.entries(VARIANT_TITLES).forEach(([variant, title], i) => {
    const kind = variant.replace('-redis', '');
    const dash = variant.endsWith('-redis') ? ' stroke-dasharray="6,4"' : '';
    const yy = ly + 18 * i;
    out.push(`<line x1="20" x2="60" y1="${yy}" y2="${yy}" stroke="${COLORS[kind]}" stroke-width="2"${dash}/>`);
    out.push(`<text x="68" y="${yy + 4}">${esc(title)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
