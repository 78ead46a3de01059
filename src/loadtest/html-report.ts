import type { LoadtestSummary } from './summary.js';
import { formatTable } from './summary.js';

const W = 760;
const H = 280;
const PAD = { left: 60, right: 40, top: 20, bottom: 40 };

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
}

/** A line chart as inline SVG; xTicks are [value, label] pairs. */
function lineChart(title: string, series: readonly Series[], xTicks: readonly (readonly [number, string])[], yLabel: string, xLabel: string, xMax: number): string {
  const yMax = Math.max(0.001, ...series.flatMap((s) => s.points.map((p) => p[1]))) * 1.05;
  const x = (v: number): number => PAD.left + (v / Math.max(xMax, 1e-9)) * (W - PAD.left - PAD.right);
  const y = (v: number): number => H - PAD.bottom - (v / yMax) * (H - PAD.top - PAD.bottom);
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * yMax);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  for (const t of yTicks) {
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${(y(t) + 4).toFixed(1)}" font-size="11" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const [v, label] of xTicks) {
    parts.push(`<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${x(v).toFixed(1)}" y="${H - PAD.bottom + 16}" font-size="11" text-anchor="middle">${esc(label)}</text>`);
  }
  parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}" stroke="#333"/>`);
  parts.push(`<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="#333"/>`);
  parts.push(`<text x="14" y="${H / 2}" font-size="12" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">${esc(yLabel)}</text>`);
  parts.push(`<text x="${(W + PAD.left) / 2}" y="${H - 6}" font-size="12" text-anchor="middle">${esc(xLabel)}</text>`);
  series.forEach((s, i) => {
    if (s.points.length > 0) {
      const d = s.points.map(([px, py], j) => `${j === 0 ? 'M' : 'L'}${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"/>`);
    }
    parts.push(`<rect x="${PAD.left + 10 + i * 110}" y="${PAD.top + 2}" width="12" height="3" fill="${s.color}"/><text x="${PAD.left + 26 + i * 110}" y="${PAD.top + 8}" font-size="11">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return `<figure><figcaption>${esc(title)}</figcaption>${parts.join('')}</figure>`;
}

/** A self-contained page (inline SVG and CSS, no scripts, no external assets). */
export function htmlReport(s: LoadtestSummary): string {
  const seconds = s.timeline.length;
  const secTicks = Array.from({ length: 6 }, (_, i) => Math.round((i * seconds) / 5)).map((v) => [v, `${v}s`] as const);
  const overTime = lineChart(
    'Latency over time (per second of the measured window, by completion)',
    [
      { name: 'p50', color: '#2b7bb9', points: s.timeline.map((p) => [p.second + 0.5, p.p50Ms] as const) },
      { name: 'p99', color: '#d9822b', points: s.timeline.map((p) => [p.second + 0.5, p.p99Ms] as const) },
      { name: 'max', color: '#c23030', points: s.timeline.map((p) => [p.second + 0.5, p.maxMs] as const) },
    ],
    secTicks,
    'latency (ms)',
    'time (s)',
    Math.max(1, seconds),
  );
  const throughput = lineChart(
    'Completed requests per second',
    [
      { name: 'requests/s', color: '#0f9960', points: s.timeline.map((p) => [p.second + 0.5, p.requests] as const) },
      { name: 'errors/s', color: '#c23030', points: s.timeline.map((p) => [p.second + 0.5, p.errors] as const) },
    ],
    secTicks,
    'per second',
    'time (s)',
    Math.max(1, seconds),
  );
  // Percentile axis: log10(1 / (1 - p)), so 90, 99, 99.9 ... are evenly spaced (HdrHistogram's plot).
  const px = (p: number): number => Math.log10(1 / Math.max(1e-6, 1 - p / 100));
  const dist = s.distribution.filter((d) => d.percentile < 100);
  const distChart = lineChart(
    'Latency by percentile',
    [{ name: 'latency', color: '#7157d9', points: dist.map((d) => [px(d.percentile), d.ms] as const) }],
    [[0, '0%'], [1, '90%'], [2, '99%'], [3, '99.9%'], [4, '99.99%'], [5, '99.999%']],
    'latency (ms)',
    'percentile',
    5,
  );
  const rows = s.distribution.map((d) => `<tr><td>${d.percentile}</td><td>${d.ms}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>devicegate loadtest ${esc(s.date)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:24px;max-width:820px;color:#222}pre{background:#f6f6f6;padding:12px;overflow:auto}
figure{margin:16px 0}figcaption{font-weight:600;margin-bottom:4px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 8px;text-align:right}</style>
</head><body>
<h1>devicegate loadtest</h1>
<p>${esc(s.date)}: ${esc(s.target)} (${s.targetKind}), ${s.mode === 'open' ? `open loop at ${s.offeredRate} req/s offered; latency counts from each request's scheduled start` : `closed loop, ${s.connections} connections`}.</p>
<pre>${esc(formatTable(s))}</pre>
${overTime}
${throughput}
${distChart}
<details><summary>Percentile table</summary><table><tr><th>percentile</th><th>ms</th></tr>${rows}</table></details>
</body></html>
`;
}
