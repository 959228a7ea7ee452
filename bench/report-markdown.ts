/**
 * The Markdown of results.md: one table per mode with every cell's ratio to this service, losses
 * in bold (never hidden), and the targets as a checklist.
 */
import { fmt, VARIANT_TITLES, type ScenarioDef, type Summary, type TargetLine } from './report';

function ratio(value: number, ours: number): string {
  if (!Number.isFinite(value) || !Number.isFinite(ours) || ours === 0) return '';
  return ` (${(value / ours).toFixed(2)}×)`;
}

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

export function targetLines(lines: TargetLine[]): string {
  return lines.map((l) => `- ${l.ok === undefined ? '·' : l.ok ? '✅' : '❌'} ${l.text}`).join('\n');
}
