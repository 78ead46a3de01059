// Uncached decisions against a real slapd vs a raw ldapts search loop (quality bar: >= 0.7x), same slapd,
// same run, same connections and requests in flight, the same thumbprint filter. Each decision goes
// through createDecisionEngine with the LDAP backend and the cache off (cache: false), so every
// decision is one directory search plus the whole policy pipeline. Not a test: prints numbers and
// writes bench/results/decision.json.
// Env: BENCH_DEVICES (2000), BENCH_CONNECTIONS (2), BENCH_IN_FLIGHT (16), BENCH_SECONDS (1.5), BENCH_ROUNDS (8),
// BENCH_RP (https://claims.contoso.com/).
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { Client } from 'ldapts';
import { DEVICE_ATTRIBUTES, BINARY_ATTRIBUTES, guidToBytes, openDirectory, SHA1_TP_PUBKEY_PREFIX, type RawValue } from '../../src/directory/index.js';
import { createDecisionEngine } from '../../src/policy/index.js';
import { startSlapd, type LdifRecord } from '../../test/harness/index.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const DEVICES = Number(process.env.BENCH_DEVICES ?? 2000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 2);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);
// Many short rounds in ABBA order: the machine is shared, so load drifts within a run.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const RP = process.env.BENCH_RP ?? 'https://claims.contoso.com/';
const SERVICE = { dn: 'CN=svc-devicelookup,CN=Users,DC=contoso,DC=com', password: 'Passw0rd-for-tests!' };
const DEVICES_DN = 'CN=RegisteredDevices,DC=contoso,DC=com';

/** N enabled, managed devices (half compliant) owned by the fixture's first user, each with its own thumbprint. */
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

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const manifest = JSON.parse(await readFile(`${ROOT}fixtures/devices.json`, 'utf8')) as { referenceTime: string };
const at = new Date(manifest.referenceTime);
const { records, thumbprints } = generate(DEVICES);
const server = await startSlapd(`${ROOT}fixtures/contoso.ldif`, { extra: records, serviceAccount: SERVICE });
try {
  const directory = await openDirectory({ url: server.url, bindDn: server.bindDn, password: server.password, poolSize: CONNECTIONS, timeoutMs: 5000 });
  const engine = await createDecisionEngine({ rulesDir: `${ROOT}rules`, directory, cache: false, now: () => at });
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    const c = new Client({ url: server.url, timeout: 5000, connectTimeout: 5000 });
    await c.bind(server.bindDn, server.password);
    return c;
  }));
  const attributes = [...DEVICE_ATTRIBUTES];
  const explicitBufferAttributes = [...BINARY_ATTRIBUTES];
  const tpAt = (i: number): string => thumbprints[(i * 7919) % thumbprints.length]!;

  const check = await engine.decide({ relyingParty: RP, device: { thumbprint: tpAt(0) } });
  if (check.device.status !== 'known' || check.device.source !== 'directory') {
    throw new Error(`bench device is ${check.device.status} from ${check.device.source}, expected known from the directory`);
  }
  const searchesBefore = directory.stats.searches;

  const viaEngine = async (i: number): Promise<void> => {
    const d = await engine.decide({ relyingParty: RP, device: { thumbprint: tpAt(i) } });
    if (d.device.status !== 'known') throw new Error(`decision: device ${d.device.status}`);
  };
  const viaRaw = async (i: number): Promise<void> => {
    const { searchEntries } = await clients[i % CONNECTIONS]!.search(DEVICES_DN, {
      scope: 'sub', filter: `(&(objectClass=msDS-Device)(altSecurityIdentities=${SHA1_TP_PUBKEY_PREFIX}${tpAt(i)}*))`,
      attributes, explicitBufferAttributes, sizeLimit: 2, timeLimit: 5,
    });
    if (searchEntries.length !== 1) throw new Error('raw: device not found');
  };

  // Warm both paths (connections, slapd caches, JIT), then interleave rounds to share the noise.
  await drive(1, IN_FLIGHT, viaEngine);
  await drive(1, IN_FLIGHT, viaRaw);
  const decisions: number[] = [];
  const raw: number[] = [];
  let decided = 0;
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      decisions.push(await drive(SECONDS, IN_FLIGHT, viaEngine));
      raw.push(await drive(SECONDS, IN_FLIGHT, viaRaw));
    } else {
      raw.push(await drive(SECONDS, IN_FLIGHT, viaRaw));
      decisions.push(await drive(SECONDS, IN_FLIGHT, viaEngine));
    }
    decided += decisions.at(-1)! * SECONDS;
  }
  const pairRatios = decisions.map((d, i) => d / raw[i]!);
  const result = {
    benchmark: 'decision',
    when: new Date().toISOString(),
    node: process.version,
    server: 'slapd (private, loopback)',
    devices: DEVICES,
    relyingParty: RP,
    request: 'distinct thumbprint per decision, no caller claims; engine cache off (cache: false)',
    rawQuery: 'the same thumbprint filter (altSecurityIdentities prefix), full device attribute set',
    connections: CONNECTIONS,
    inFlight: IN_FLIGHT,
    seconds: SECONDS,
    rounds: ROUNDS,
    decisionsPerSecond: Math.round(median(decisions)),
    rawLdaptsSearchesPerSecond: Math.round(median(raw)),
    ratio: Number((median(decisions) / median(raw)).toFixed(3)),
    medianPairRatio: Number(median(pairRatios).toFixed(3)),
    bar: 0.7,
    statistic: 'median over rounds',
    loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
    perRound: { decisions: decisions.map(Math.round), raw: raw.map(Math.round) },
    // Each uncached decision is exactly one directory search (the warm-up rounds included).
    searchesPerDecision: Number(((directory.stats.searches - searchesBefore) / Math.max(1, decided)).toFixed(3)),
  };
  console.log(`decision: ${DEVICES} devices, ${CONNECTIONS} connections, ${IN_FLIGHT} in flight, ${ROUNDS}x${SECONDS}s each, ${RP}`);
  console.log(`  uncached decisions: ${result.decisionsPerSecond} decisions/s  (rounds ${result.perRound.decisions.join(', ')})`);
  console.log(`  raw ldapts loop:    ${result.rawLdaptsSearchesPerSecond} searches/s  (rounds ${result.perRound.raw.join(', ')})`);
  console.log(`  ratio of medians: ${result.ratio}x, median of paired ratios: ${result.medianPairRatio}x (bar >= 0.7x: ${result.ratio >= 0.7 ? 'met' : 'NOT met'}); load average ${result.loadAverage.join(' ')}`);
  await mkdir(`${ROOT}bench/results`, { recursive: true });
  await writeFile(`${ROOT}bench/results/decision.json`, JSON.stringify(result, null, 2) + '\n');
  await engine.close();
  await directory.close();
  await Promise.all(clients.map((c) => c.unbind()));
} finally {
  await server.stop();
}
