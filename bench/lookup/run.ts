// Searches/s through devicegate's LDAP backend vs a raw ldapts search loop, same slapd, same run,
// same connections and requests in flight. Not a test: prints numbers, writes bench/results/lookup.json.
import { openDirectory } from '../../src/directory/index.js';
import { CONNECTIONS, DEVICES, IN_FLIGHT, ROUNDS, SECONDS, interleave, loadAverage, median, startLdapBench, writeResult } from '../ldap-baseline.js';

const bench = await startLdapBench();
try {
  const { server } = bench;
  const dir = await openDirectory({ url: server.url, bindDn: server.bindDn, password: server.password, poolSize: CONNECTIONS, timeoutMs: 5000 });
  const viaDevicegate = async (i: number): Promise<void> => {
    const record = await dir.find({ kind: 'thumbprint', thumbprint: bench.tpAt(i) });
    if (!record) throw new Error('devicegate: device not found');
  };
  const rounds = await interleave(viaDevicegate, bench.raw);
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
    devicegateSearchesPerSecond: Math.round(median(rounds.measured)),
    rawLdaptsSearchesPerSecond: Math.round(median(rounds.baseline)),
    ratio: rounds.ratio,
    medianPairRatio: rounds.medianPairRatio,
    statistic: 'median over rounds',
    loadAverage: loadAverage(),
    perRound: { devicegate: rounds.measured.map(Math.round), raw: rounds.baseline.map(Math.round) },
    searchesCounted: dir.stats.searches,
  };
  console.log(`lookup: ${DEVICES} devices, ${CONNECTIONS} connections, ${IN_FLIGHT} in flight, ${ROUNDS}x${SECONDS}s each`);
  console.log(`  devicegate LDAP backend: ${result.devicegateSearchesPerSecond} searches/s  (rounds ${result.perRound.devicegate.join(', ')})`);
  console.log(`  raw ldapts loop:         ${result.rawLdaptsSearchesPerSecond} searches/s  (rounds ${result.perRound.raw.join(', ')})`);
  console.log(`  ratio of medians: ${result.ratio}x, median of paired ratios: ${result.medianPairRatio}x (aim >= 0.9x); load average ${result.loadAverage.join(' ')}`);
  await writeResult('lookup', result);
  await dir.close();
} finally {
  await bench.close();
}
