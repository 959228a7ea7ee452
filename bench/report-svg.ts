/**
 * latency.svg: each scenario's latencies as CDFs on a log scale, where the tail (p99, max) that a
 * median hides is plain to see. Written as SVG text, with nothing to install.
 */
import { VARIANT_TITLES, type CurvePoint } from './report';

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
