// A self-contained HTML report: no script, no external asset; charts are inline SVG.
import { KEY_AGE_BUCKETS, type InventoryReport } from './inventory-report.js';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A horizontal bar chart as inline SVG, one bar per [label, value]. */
export function barChart(id: string, title: string, bars: readonly (readonly [string, number])[]): string {
  const width = 560;
  const labelWidth = 230;
  const barHeight = 22;
  const gap = 6;
  const max = Math.max(1, ...bars.map(([, v]) => v));
  const height = bars.length * (barHeight + gap) + 30;
  const rows = bars
    .map(([label, value], i) => {
      const y = 28 + i * (barHeight + gap);
      const w = Math.round(((width - labelWidth - 60) * value) / max);
      return (
        `<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${escapeHtml(label)}</text>` +
        `<rect class="bar" x="${labelWidth}" y="${y}" width="${w}" height="${barHeight}"><title>${escapeHtml(label)}: ${value}</title></rect>` +
        `<text x="${labelWidth + w + 6}" y="${y + 16}">${value}</text>`
      );
    })
    .join('');
  return `<svg id="${id}" class="chart" role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg"><text x="0" y="16" class="title">${escapeHtml(title)}</text>${rows}</svg>`;
}

function countTable(id: string, caption: string, rows: readonly (readonly [string, number | string])[]): string {
  return `<table id="${id}"><caption>${escapeHtml(caption)}</caption><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`).join('')}</tbody></table>`;
}

export function renderInventoryHtml(report: InventoryReport): string {
  const d = report.devices;
  const k = report.keys;
  const statusBars: [string, number][] = [
    ['enabled', d.enabled],
    ['disabled', d.disabled],
    [`stale (> ${report.staleDays} days)`, d.stale],
    ['managed', d.managed],
    ['compliant', d.compliant],
    ['without owner', d.withoutOwner],
    ['sharing a certificate key', d.withDuplicateKey],
    ['outside the container', d.outsideContainer],
  ];
  const trustNames: Record<string, string> = { '0': 'registered (0)', '1': 'Entra joined (1)', '2': 'hybrid joined (2)' };
  const findingsRows = report.findings
    .map((f) => `<tr><td>${escapeHtml(f.kind)}</td><td>${escapeHtml(f.dn)}</td><td>${escapeHtml(f.detail)}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>devicegate inventory</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1b1b1b}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0 1em} caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top} td{font-variant-numeric:tabular-nums}
.chart text{font:12px system-ui,sans-serif;fill:#1b1b1b} .chart .title{font-weight:600} .bar{fill:#2f6fb3}
.grid{display:flex;flex-wrap:wrap;gap:2em}
</style></head><body>
<h1>Device writeback inventory</h1>
<p>Directory <code>${escapeHtml(report.directory)}</code>; devices under <code>${escapeHtml(report.devicesDn)}</code>${report.deviceLocationFromDrs ? ' (msDS-DeviceLocation)' : ''}; generated ${escapeHtml(report.generatedAt)}; stale after ${report.staleDays} days.${report.deviceRegistrationService ? '' : ' <strong>No device registration service object: device writeback is not initialised.</strong>'}</p>
<h2>Devices</h2>
<div class="grid">
${barChart('chart-device-status', 'Devices by status', statusBars)}
${barChart('chart-trust-type', 'Devices by trust type', Object.entries(d.byTrustType).map(([t, v]) => [trustNames[t] ?? t, v]))}
</div>
${countTable('device-counts', `Devices (${d.total})`, [
  ['total', d.total], ['managed', d.managed], ['compliant', d.compliant], ['enabled', d.enabled], ['disabled', d.disabled], ['stale', d.stale],
  ['without registered owner or users', d.withoutOwner], ['sharing a certificate key', d.withDuplicateKey], ['outside the device container', d.outsideContainer],
  ['without a certificate key', d.withoutCertificateKey], ['undecodable', d.undecodable],
])}
${countTable('device-os', 'Devices by OS', Object.entries(d.byOs))}
<h2>Windows Hello for Business keys</h2>
<div class="grid">
${barChart('chart-key-age', 'Keys by age', KEY_AGE_BUCKETS.map((b) => [b, k.byAge[b]]))}
${barChart('chart-key-problems', 'Key findings', [['orphaned', k.orphaned], ['ROCA-vulnerable', k.roca], ['malformed', k.malformed], ['on a disabled device', k.deviceDisabled], ['on a stale device', k.deviceStale], ['device not registered to user', k.deviceNotRegisteredToUser]])}
</div>
${countTable('key-counts', `Keys (${k.total})`, [
  ['users with keys', k.usersWithKeys], ['users with NGC keys', k.usersWithNgcKeys], ['keys', k.total],
  ...Object.entries(k.byUsage).map(([u, v]) => [`usage ${u}`, v] as const), ...Object.entries(k.bySource).map(([s, v]) => [`source ${s}`, v] as const),
])}
<h2>Findings (${report.findings.length})</h2>
<table id="findings"><thead><tr><th>kind</th><th>object</th><th>detail</th></tr></thead><tbody>${findingsRows}</tbody></table>
</body></html>
`;
}
