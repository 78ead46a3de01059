// One measured pass in its own process: `inventory` (devicegate's scanner + report) or `raw` (an ldapts
// paged search over the same two filters, entries counted and dropped: the floor any inventory pays).
// Prints one JSON line: { mode, seconds, maxRssMiB, devices, users }.
import { Client } from 'ldapts';
import { openScanner } from '../../src/directory/index.js';
import { buildInventory } from '../../src/inventory/index.js';

const [mode, url, bindDn, password, baseDn] = process.argv.slice(2) as [string, string, string, string, string];
const started = performance.now();
let devices = 0;
let users = 0;
if (mode === 'inventory') {
  const scanner = await openScanner({ url, bindDn, password, baseDn, timeoutMs: 60_000 });
  const report = await buildInventory(scanner, { now: new Date('2026-11-20T12:00:00Z') });
  await scanner.close();
  devices = report.devices.total;
  users = report.keys.usersWithKeys;
  if (report.findings.length === 0) throw new Error('the generated world has findings; none were reported');
} else {
  const client = new Client({ url, timeout: 60_000 });
  await client.bind(bindDn, password);
  for (const [filter, attrs] of [
    ['(objectClass=msDS-Device)', ['displayName', 'altSecurityIdentities', 'msDS-DeviceID', 'msDS-IsEnabled', 'msDS-RegisteredOwner', 'msDS-RegisteredUsers', 'msDS-ApproximateLastLogonTimeStamp']],
    ['(&(objectClass=user)(msDS-KeyCredentialLink=*))', ['objectSid', 'objectClass', 'msDS-KeyCredentialLink']],
  ] as const) {
    for await (const page of client.searchPaginated(baseDn, { scope: 'sub', filter, attributes: [...attrs], explicitBufferAttributes: ['msDS-DeviceID', 'objectSid', 'msDS-RegisteredOwner', 'msDS-RegisteredUsers'], paged: { pageSize: 500 } })) {
      if (filter.includes('msDS-Device')) devices += page.searchEntries.length;
      else users += page.searchEntries.length;
    }
  }
  await client.unbind();
}
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ mode, seconds, maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), devices, users })}\n`);
