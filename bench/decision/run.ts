// Uncached decisions against a real slapd vs a raw ldapts search loop (quality bar: >= 0.7x), same slapd,
// same run, same connections and requests in flight, the same thumbprint filter. Each decision goes
// through createDecisionEngine with the LDAP backend and the cache off (cache: false), so every
// decision is one directory search plus the whole policy pipeline. Not a test: prints numbers and
// writes bench/results/decision.json.
// Env: as bench/ldap-baseline.ts, plus BENCH_RP (https://claims.contoso.com/).
import { readFile } from 'node:fs/promises';
import { openDirectory } from '../../src/directory/index.js';
import { createDecisionEngine } from '../../src/policy/index.js';
import { CONNECTIONS, DEVICES, IN_FLIGHT, ROOT, ROUNDS, SECONDS, interleave, loadAverage, median, startLdapBench, writeResult } from '../ldap-baseline.js';

const RP = process.env.BENCH_RP ?? 'https://claims.contoso.com/';
const manifest = JSON.parse(await readFile(`${ROOT}fixtures/devices.json`, 'utf8')) as { referenceTime: string };
const at = new Date(manifest.referenceTime);
const bench = await startLdapBench();
try {
  const { server, tpAt } = bench;
  const directory = await openDirectory({ url: server.url, bindDn: server.bindDn, password: server.password, poolSize: CONNECTIONS, timeoutMs: 5000 });
  const engine = await createDecisionEngine({ rulesDir: `${ROOT}rules`, directory, cache: false, now: () => at });

  const check = await engine.decide({ relyingParty: RP, device: { thumbprint: tpAt(0) } });
  if (check.device.status !== 'known' || check.device.source !== 'directory') {
    throw new Error(`bench device is ${check.device.status} from ${check.device.source}, expected known from the directory`);
  }
  const searchesBefore = directory.stats.searches;
  const viaEngine = async (i: number): Promise<void> => {
    const d = await engine.decide({ relyingParty: RP, device: { thumbprint: tpAt(i) } });
    if (d.device.status !== 'known') throw new Error(`decision: device ${d.device.status}`);
  };
  let decided = 0;
  const rounds = await interleave(viaEngine, bench.raw, (rate) => (decided += rate * SECONDS));
  const decisions = rounds.measured;
  const raw = rounds.baseline;
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
    ratio: rounds.ratio,
    medianPairRatio: rounds.medianPairRatio,
    bar: 0.7,
    statistic: 'median over rounds',
    loadAverage: loadAverage(),
    perRound: { decisions: decisions.map(Math.round), raw: raw.map(Math.round) },
    // Each uncached decision is exactly one directory search (the warm-up rounds included).
    searchesPerDecision: Number(((directory.stats.searches - searchesBefore) / Math.max(1, decided)).toFixed(3)),
  };
  console.log(`decision: ${DEVICES} devices, ${CONNECTIONS} connections, ${IN_FLIGHT} in flight, ${ROUNDS}x${SECONDS}s each, ${RP}`);
  console.log(`  uncached decisions: ${result.decisionsPerSecond} decisions/s  (rounds ${result.perRound.decisions.join(', ')})`);
  console.log(`  raw ldapts loop:    ${result.rawLdaptsSearchesPerSecond} searches/s  (rounds ${result.perRound.raw.join(', ')})`);
  console.log(`  ratio of medians: ${result.ratio}x, median of paired ratios: ${result.medianPairRatio}x (bar >= 0.7x: ${result.ratio >= 0.7 ? 'met' : 'NOT met'}); load average ${result.loadAverage.join(' ')}`);
  await writeResult('decision', result);
  await engine.close();
  await directory.close();
} finally {
  await bench.close();
}
