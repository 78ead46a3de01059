// Searches/s through devicegate's LDAP backend vs a raw ldapts search loop, same slapd, same run,
// same connections and requests in flight. Not a test: prints numbers, writes bench/results/lookup.json.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { Client } from 'ldapts';
import { DEVICE_ATTRIBUTES, BINARY_ATTRIBUTES, guidToBytes, openDirectory, SHA1_TP_PUBKEY_PREFIX, type RawValue } from '../../src/directory/index.js';
import { startSlapd, type LdifRecord } from '../../test/harness/index.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const DEVICES = Number(process.env.BENCH_DEVICES ?? 2000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 2);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);
// Many short rounds in ABBA order: the machine is shared, so load drifts within a run.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const SERVICE = { dn: 'CN=svc-devicelookup,CN=Users,DC=contoso,DC=com', password: 'Passw0rd-for-tests!' };
const DEVICES_DN = 'CN=RegisteredDevices,DC=contoso,DC=com';

function generate(n: number): { records: LdifRecord[]; thumbprints: string[] } {
  const records: LdifRecord[] = [];
  const thumbprints: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    const tp = createHash('sha1').update(`bench-${i}`).digest('hex').toUpperCase();
    const pk = createHash('sha256').update(`bench-pk-${i}`).digest('base64');
    thumbprints.push(tp);
    records.push({
      dn: `CN=${id},${DEVICES_DN}`,
      attributes: new Map<string, RawValue[]>([
        ['objectClass', ['top', 'msDS-Device']], ['cn', [id]], ['displayName', [`BENCH-${i}`]],
        ['altSecurityIdentities', [`${SHA1_TP_PUBKEY_PREFIX}${tp}${pk}`]], ['msDS-DeviceID', [guidToBytes(id)]],
        ['msDS-IsEnabled', ['TRUE']], ['msDS-DeviceOSType', ['Windows']], ['msDS-DeviceOSVersion', ['10.0.22631.4460']],
        ['msDS-DeviceTrustType', ['2']], ['msDS-IsManaged', ['TRUE']], ['msDS-IsCompliant', [i % 2 ? 'TRUE' : 'FALSE']],
        ['msDS-RegisteredOwner', [Buffer.from('AQUAAAAAAAUVAAAAfqHBjc803Z/DzvQZUQQAAA==', 'base64')]],
        ['msDS-ApproximateLastLogonTimeStamp', ['134380818000000000']],
      ]),
    });
  }
  return { records, thumbprints };
}

/** Run `workers` loops of `op` for `seconds`; returns completed operations per second. */
async function drive(seconds: number, workers: number, op: (i: number) => Promise<void>): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    let i = w;
    while (performance.now() < end) {
      await op(i);
      i += workers;
      done++;
    }
  }));
  return done / seconds;
}

const { records, thumbprints } = generate(DEVICES);
const server = await startSlapd(`${ROOT}fixtures/contoso.ldif`, { extra: records, serviceAccount: SERVICE });
try {
  const dir = await openDirectory({ url: server.url, bindDn: server.bindDn, password: server.password, poolSize: CONNECTIONS, timeoutMs: 5000 });
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    const c = new Client({ url: server.url, timeout: 5000, connectTimeout: 5000 });
    await c.bind(server.bindDn, server.password);
    return c;
  }));
  const attributes = [...DEVICE_ATTRIBUTES];
  const explicitBufferAttributes = [...BINARY_ATTRIBUTES];
  const tpAt = (i: number) => thumbprints[(i * 7919) % thumbprints.length]!;

  const viaDevicegate = async (i: number) => {
    const record = await dir.find({ kind: 'thumbprint', thumbprint: tpAt(i) });
    if (!record) throw new Error('devicegate: device not found');
  };
  const viaRaw = async (i: number) => {
    const { searchEntries } = await clients[i % CONNECTIONS]!.search(DEVICES_DN, {
      scope: 'sub', filter: `(&(objectClass=msDS-Device)(altSecurityIdentities=${SHA1_TP_PUBKEY_PREFIX}${tpAt(i)}*))`,
      attributes, explicitBufferAttributes, sizeLimit: 2, timeLimit: 5,
    });
    if (searchEntries.length !== 1) throw new Error('raw: device not found');
  };

  // Warm both paths (connections, slapd caches, JIT), then interleave rounds to share the noise.
  await drive(1, IN_FLIGHT, viaDevicegate);
  await drive(1, IN_FLIGHT, viaRaw);
  const dg: number[] = [];
  const raw: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      dg.push(await drive(SECONDS, IN_FLIGHT, viaDevicegate));
      raw.push(await drive(SECONDS, IN_FLIGHT, viaRaw));
    } else {
      raw.push(await drive(SECONDS, IN_FLIGHT, viaRaw));
      dg.push(await drive(SECONDS, IN_FLIGHT, viaDevicegate));
    }
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const pairRatios = dg.map((d, i) => d / raw[i]!);
  const result = {
    benchmark: 'lookup',
    when: new Date().toISOString(),
    server: 'slapd (private, loopback)',
    devices: DEVICES + 10,
    query: 'thumbprint (altSecurityIdentities prefix), full device attribute set',
    connections: CONNECTIONS,
    inFlight: IN_FLIGHT,
    seconds: SECONDS,
    rounds: ROUNDS,
    devicegateSearchesPerSecond: Math.round(median(dg)),
    rawLdaptsSearchesPerSecond: Math.round(median(raw)),
    ratio: Number((median(dg) / median(raw)).toFixed(3)),
    medianPairRatio: Number(median(pairRatios).toFixed(3)),
    statistic: 'median over rounds',
    loadAverage: (await import('node:os')).loadavg().map((x) => Number(x.toFixed(2))),
    perRound: { devicegate: dg.map(Math.round), raw: raw.map(Math.round) },
    searchesCounted: dir.stats.searches,
  };
  console.log(`lookup: ${DEVICES} devices, ${CONNECTIONS} connections, ${IN_FLIGHT} in flight, ${ROUNDS}x${SECONDS}s each`);
  console.log(`  devicegate LDAP backend: ${result.devicegateSearchesPerSecond} searches/s  (rounds ${result.perRound.devicegate.join(', ')})`);
  console.log(`  raw ldapts loop:         ${result.rawLdaptsSearchesPerSecond} searches/s  (rounds ${result.perRound.raw.join(', ')})`);
  console.log(`  ratio of medians: ${result.ratio}x, median of paired ratios: ${result.medianPairRatio}x (aim >= 0.9x); load average ${result.loadAverage.join(' ')}`);
  await mkdir(`${ROOT}bench/results`, { recursive: true });
  await writeFile(`${ROOT}bench/results/lookup.json`, JSON.stringify(result, null, 2) + '\n');
  await dir.close();
  await Promise.all(clients.map((c) => c.unbind()));
} finally {
  await server.stop();
}
