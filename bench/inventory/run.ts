// bench/inventory: `devicegate inventory` over generated forests in slapd (N devices + N users with one
// WHfB key each), against a raw ldapts paged search over the same entries, each in its own process.
// Reports seconds and peak RSS for both and their ratios; N from BENCH_INVENTORY_SIZES (10000,100000).
// The point is the shape: time near the raw pass, memory growing far slower than the forest.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { promisify } from 'node:util';
import { startSlapd } from '../../test/harness/index.js';
import { generateWorld } from './world.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const SIZES = (process.env.BENCH_INVENTORY_SIZES ?? '10000,100000').split(',').map(Number);
const SERVICE = { dn: 'CN=svc-devicelookup,CN=Users,DC=contoso,DC=com', password: 'Passw0rd-for-tests!' };
const exec = promisify(execFile);
/** Old-space cap for both children (MiB): shows the live set fits, rather than how lazily V8 collects. */
const HEAP_MB = process.env.BENCH_INVENTORY_HEAP_MB;

interface Pass { mode: string; seconds: number; maxRssMiB: number; devices: number; users: number }

async function pass(mode: 'inventory' | 'raw', url: string): Promise<Pass> {
  const { stdout } = await exec('npx', ['tsx', 'bench/inventory/child.ts', mode, url, SERVICE.dn, SERVICE.password, 'DC=contoso,DC=com'], {
    cwd: ROOT,
    maxBuffer: 1 << 20,
    env: { ...process.env, ...(HEAP_MB ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${HEAP_MB}`.trim() } : {}) },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Pass;
}

const rows: Record<string, unknown>[] = [];
for (const n of SIZES) {
  const loadStarted = performance.now();
  const server = await startSlapd(new URL('../../fixtures/contoso.ldif', import.meta.url).pathname, { extra: [...generateWorld(n)], serviceAccount: SERVICE });
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  try {
    // raw, inventory, inventory, raw: load drifts on a shared machine.
    const r1 = await pass('raw', server.url);
    const i1 = await pass('inventory', server.url);
    const i2 = await pass('inventory', server.url);
    const r2 = await pass('raw', server.url);
    if (i1.devices < n || i1.users < n) throw new Error(`inventory saw ${i1.devices} devices / ${i1.users} users of ${n}`);
    const inv = Math.min(i1.seconds, i2.seconds);
    const raw = Math.min(r1.seconds, r2.seconds);
    const row = {
      objects: n * 2, devices: i1.devices, users: i1.users, loadSeconds: +loadSeconds.toFixed(1),
      inventorySeconds: +inv.toFixed(2), rawSeconds: +raw.toFixed(2), timeRatio: +(inv / raw).toFixed(2),
      inventoryMaxRssMiB: Math.max(i1.maxRssMiB, i2.maxRssMiB), rawMaxRssMiB: Math.max(r1.maxRssMiB, r2.maxRssMiB),
    };
    rows.push(row);
    console.log(row);
  } finally {
    await server.stop();
  }
}
const result = { benchmark: 'inventory', heapCapMiB: HEAP_MB ? Number(HEAP_MB) : null, date: new Date().toISOString(), cpus: cpus().length, loadavg: loadavg(), rows };
await mkdir(new URL('../results/', import.meta.url), { recursive: true });
await writeFile(new URL('../results/inventory.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.table(rows);
