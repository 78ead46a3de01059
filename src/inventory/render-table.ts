import type { InventoryReport } from './inventory-report.js';

const row = (label: string, value: number | string) => `  ${label.padEnd(34)} ${String(value).padStart(8)}`;
const breakdown = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || '-';

/** The terminal summary: counts, then findings grouped by kind. */
export function renderInventoryTable(report: InventoryReport, maxFindingsPerKind = 10): string {
  const d = report.devices;
  const k = report.keys;
  const lines = [
    `devicegate inventory: ${report.directory}, devices under ${report.devicesDn}, stale after ${report.staleDays} days`,
    '',
    'Devices',
    row('total', d.total),
    `  by trust type (0 registered, 1 Entra joined, 2 hybrid joined): ${breakdown(d.byTrustType)}`,
    `  by OS: ${breakdown(d.byOs)}`,
    row('managed', d.managed),
    row('compliant', d.compliant),
    row('disabled', d.disabled),
    row(`stale (> ${report.staleDays} days)`, d.stale),
    row('without registered owner or users', d.withoutOwner),
    row('sharing a certificate key', d.withDuplicateKey),
    row('outside the device container', d.outsideContainer),
    row('without a certificate key', d.withoutCertificateKey),
    row('undecodable', d.undecodable),
    '',
    'Windows Hello for Business keys',
    row('users with keys', k.usersWithKeys),
    row('users with NGC keys', k.usersWithNgcKeys),
    row('keys', k.total),
    `  by usage: ${breakdown(k.byUsage)}; by source: ${breakdown(k.bySource)}`,
    `  by age: ${breakdown(k.byAge)}`,
    row('orphaned (no device object)', k.orphaned),
    row('ROCA-vulnerable', k.roca),
    row('malformed', k.malformed),
    row('on a disabled device', k.deviceDisabled),
    row('on a stale device', k.deviceStale),
    row('on a device not registered to the user', k.deviceNotRegisteredToUser),
    '',
  ];
  if (!report.deviceRegistrationService) lines.push('warning: no device registration service object: device writeback is not initialised', '');
  const byKind = new Map<string, typeof report.findings>();
  for (const f of report.findings) {
    const list = byKind.get(f.kind);
    if (list) (list as (typeof f)[]).push(f);
    else byKind.set(f.kind, [f]);
  }
  lines.push(`Findings: ${report.findings.length}`);
  for (const [kind, list] of byKind) {
    lines.push(`  ${kind} (${list.length})`);
    for (const f of list.slice(0, maxFindingsPerKind)) lines.push(`    ${f.dn}: ${f.detail}`);
    if (list.length > maxFindingsPerKind) lines.push(`    ... ${list.length - maxFindingsPerKind} more (--json or --csv for all)`);
  }
  return `${lines.join('\n')}\n`;
}
