/**
 * What the benchmark leaves in --out once every run is done: results.md, results.json with the
 * summaries, and latency.svg. (The coordinator also rewrites results.json after each run, so an
 * interrupted benchmark still leaves the runs it made.)
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { percentile, sortNumbers } from './common';
import type { Options } from './options';
import type { Planned } from './plan';
import { CURVE_PERCENTILES, summarise, targets, type CurvePoint, type RunRecord, type Summary } from './report';
import { markdownTable, targetLines } from './report-markdown';
import { latencySvg, type Panel } from './report-svg';
import type { Variant } from './servers';

/** What results.json and results.md say about the machine and the command, before any figure. */
export interface Environment {
  date: string;
  machine: string;
  command: string;
  sizes: Record<string, unknown>;
}

function curveOf(samples: number[]): CurvePoint[] {
  const sorted = sortNumbers(samples);
  return CURVE_PERCENTILES.map((p) => ({ p, ms: p === 0 ? sorted[0] : percentile(sorted, p) }));
}

/** Everything the coordinator gathered: the options, what it planned and every run's record. */
export interface Finished {
  options: Options;
  env: Environment;
  notes: string[];
  idleN: number;
  planned: Planned[];
  variants: Variant[];
  records: RunRecord[];
  /** Latency samples pooled over the repeats, by `<scenario>|<variant>`. */
  samples: Map<string, number[]>;
}

/** Writes results.md, results.json and latency.svg; returns the Markdown (the coordinator prints it). */
export function writeResults({ options, env, notes, idleN, planned, variants, records, samples }: Finished): string {
  const { command } = env;
  const summaries = new Map<string, Summary>();
  for (const p of planned) {
    for (const v of variants) {
      const s = summarise(p.def.id, v.id, records, p.def.metrics);
      const pooled = samples.get(`${p.def.id}|${v.id}`);
      if (pooled?.length) s.curve = curveOf(pooled);
      summaries.set(`${p.def.id}|${v.id}`, s);
    }
  }
  const defs = planned.map((p) => p.def);
  const lines = [
    `# Benchmark ${env.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- machine: ${env.machine}`,
    `- command: \`${command}\``,
    `- sizes: fanout N=${options.fanoutN.join(', ')}, K=${options.fanoutK} notifies (+${options.warmup} warm-up not counted) of ~${options.payload} B; chat ${options.chatPairs} pairs × ${options.chatK} messages, shape ${options.chatShape}; idle N=${idleN}, ${options.idleWindow} s window, heartbeat every ${options.idlePingMs / 1000} s; connect M=${options.connectM}, ${options.connectC} at a time; resume N=${options.resumeN}, ${options.resumeMissed} missed; ${options.repeats} repeat(s), order alternating; ${options.workers} client processes`,
    `- cells: median over repeats (ratio to this service in the same mode); ↑ higher is better, ↓ lower is better; delivered/expected is summed over every repeat`,
    `- load average at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; per run in results.json (\`load1\`)`,
    ...notes.map((n) => `- note: ${n}`),
  ];
  for (const mode of options.modes) {
    const vs = variants.filter((v) => v.mode === mode).map((v) => v.id);
    lines.push(
      '',
      mode === 'single' ? '## One instance' : '## Two instances sharing one Redis (clients split evenly)',
      '',
    );
    lines.push(markdownTable(defs, vs, summaries, mode === 'single' ? 'ours' : 'ours-redis'));
  }
  lines.push('', '## Targets', '', targetLines(targets(defs, summaries)));
  const failures = records.filter((r) => !r.ok && !r.skipped);
  const skipped = records.filter((r) => r.skipped).length;
  const noted = records.filter((r) => r.notes.length);
  if (failures.length || noted.length || skipped) {
    lines.push('', '## Problems seen', '');
    if (skipped) lines.push(`- ${skipped} runs not started: --max-minutes ${options.maxMinutes} reached`);
    for (const r of failures) lines.push(`- ${r.scenario} ${r.variant} repeat ${r.rep + 1}: ${r.error}`);
    for (const r of noted) lines.push(`- ${r.scenario} ${r.variant} repeat ${r.rep + 1}: ${r.notes.join('; ')}`);
  }
  const markdown = lines.join('\n') + '\n';
  writeFileSync(join(options.out, 'results.md'), markdown);
  writeFileSync(
    join(options.out, 'results.json'),
    JSON.stringify({ ...env, notes, summaries: [...summaries.values()], runs: records }, null, 2),
  );
  const panels: Panel[] = defs
    .filter((d) => d.curve)
    .map((d) => ({
      title: d.curve ?? d.title,
      series: variants
        .map((v) => ({ variant: v.id, points: summaries.get(`${d.id}|${v.id}`)?.curve ?? [] }))
        .filter((s) => s.points.length > 0),
    }));
  writeFileSync(join(options.out, 'latency.svg'), latencySvg(panels, `${env.date.slice(0, 10)} · ${env.machine}`));
  return markdown;
}
