// Heap bytes per cached device: N decoded device records held by devicegate's cache (src/cache, keyed
// by thumbprint, as the decision path fills it) vs the same records held in a plain array (the
// baseline: what the records alone weigh). Measured after a full GC, N = 100k and 1M.
// Env: BENCH_SIZES (100000,1000000). Writes bench/results/memory.json.
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createCachedDirectory } from '../../src/cache/index.js';
import { decodeDevice, type DeviceDirectory, type DeviceQuery, type DeviceRecord, type RawValue } from '../../src/directory/index.js';
import { deviceEntry, loadAverage, writeResult } from '../ldap-baseline.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const SIZES = (process.env.BENCH_SIZES ?? '100000,1000000').split(',').map(Number);

function heap(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** The i-th generated device as the LDAP backend hands it over (attribute names lower-cased), decoded. */
function record(i: number): DeviceRecord {
  const { record: r } = deviceEntry(i);
  return decodeDevice({ dn: r.dn, attributes: new Map([...r.attributes].map(([k, v]) => [k.toLowerCase(), v as RawValue[]])) });
}

const thumbprintOf = (i: number): string => createHash('sha1').update(`bench-${i}`).digest('hex').toUpperCase();

/** A directory over the generated devices: decodes a fresh record per search, as the LDAP backend does. */
function generatedDirectory(index: Map<string, number>): DeviceDirectory {
  return {
    backend: 'ldap',
    description: 'generated devices (memory bench)',
    stats: { searches: 0, errors: 0 },
    async find(query: DeviceQuery) {
      const i = query.kind === 'thumbprint' ? index.get(query.thumbprint) : undefined;
      return i === undefined ? undefined : record(i);
    },
    async issuerCertificates() {
      return [];
    },
    async searchAttributes() {
      return [];
    },
    async health() {
      return { ok: true, backend: 'ldap', detail: 'generated' };
    },
    async close() {},
  };
}

const sizes: { entries: number; plainBytesPerDevice: number; cachedBytesPerDevice: number; cacheOverheadBytesPerDevice: number; ratio: number }[] = [];
for (const n of SIZES) {
  const thumbprints = Array.from({ length: n }, (_, i) => thumbprintOf(i));
  const index = new Map(thumbprints.map((tp, i) => [tp, i]));

  let plain: DeviceRecord[] | undefined = [];
  const h0 = heap();
  for (let i = 0; i < n; i++) plain.push(record(i));
  const h1 = heap();
  const plainBytes = (h1 - h0) / n;
  if (plain.length !== n) throw new Error('baseline lost records');
  plain = undefined;

  const h2 = heap();
  const cache = createCachedDirectory(generatedDirectory(index), { max: n, ttlMs: 3_600_000 });
  for (const tp of thumbprints) await cache.lookup({ kind: 'thumbprint', thumbprint: tp });
  const h3 = heap();
  if (cache.size !== n) throw new Error(`cache holds ${cache.size}, expected ${n}`);
  const cachedBytes = (h3 - h2) / n;
  sizes.push({
    entries: n,
    plainBytesPerDevice: Math.round(plainBytes),
    cachedBytesPerDevice: Math.round(cachedBytes),
    cacheOverheadBytesPerDevice: Math.round(cachedBytes - plainBytes),
    ratio: Number((cachedBytes / plainBytes).toFixed(3)),
  });
  console.log(`memory: ${n.toLocaleString('en')} cached devices: ${Math.round(cachedBytes)} heap bytes each (records alone ${Math.round(plainBytes)}; ratio ${(cachedBytes / plainBytes).toFixed(3)})`);
  cache.purge();
  await cache.close();
}
await writeResult('memory', { benchmark: 'memory', when: new Date().toISOString(), node: process.version, record: 'generated msDS-Device (13 attributes), decoded', sizes, loadAverage: loadAverage() });
