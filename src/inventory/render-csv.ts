import type { InventoryReport } from './inventory-report.js';

/** RFC 4180 field; a leading = + - @ (a spreadsheet formula) is neutralised with a quote mark. */
function field(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** Findings as CSV (kind, dn, detail), CRLF line ends as RFC 4180 and spreadsheet tools expect. */
export function renderFindingsCsv(report: InventoryReport): string {
  const rows = [['kind', 'dn', 'detail'], ...report.findings.map((f) => [f.kind, f.dn, f.detail])];
  return rows.map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}
