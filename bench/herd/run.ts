// Thundering herd: 1,000 concurrent cold decision requests over a handful of devices against a
// devicegate process on a private slapd. The server's own /metrics count the LDAP searches: with
// single-flight it is one per distinct device; a naive cache would send one per request (the
// baselines, both in this run). Env: BENCH_HERD (1000), BENCH_HERD_DEVICES (10). Writes bench/results/herd.json.
import { Pool } from 'undici';
import { startDevicegate } from '../devicegate-process.js';
import { loadAverage, startLdapBench, writeResult } from '../ldap-baseline.js';

const HERD = Number(process.env.BENCH_HERD ?? 1000);
const DISTINCT = Number(process.env.BENCH_HERD_DEVICES ?? 10);
const RP = process.env.BENCH_RP ?? 'https://claims.contoso.com/';

const bench = await startLdapBench();
try {
  const dg = await startDevicegate({ directory: bench.server.url, bindDn: bench.server.bindDn, password: bench.server.password });
  const pool = new Pool(dg.url, { connections: HERD, pipelining: 1 });
  try {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${dg.token}` };
    // Build the issuer trust (one search) and open the connections before counting.
    await Promise.all(Array.from({ length: HERD }, async () => (await pool.request({ path: '/healthz', method: 'GET' })).body.dump()));
    const warm = await pool.request({ path: '/v1/decisions', method: 'POST', headers, body: JSON.stringify({ relyingParty: RP, device: { thumbprint: bench.tpAt(DISTINCT + 1) } }) });
    await warm.body.dump();
    const before = await dg.metric('devicegate_ldap_searches_total');
    const statuses = new Map<number, number>();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: HERD }, async (_, i) => {
        const res = await pool.request({ path: '/v1/decisions', method: 'POST', headers, body: JSON.stringify({ relyingParty: RP, device: { thumbprint: bench.tpAt(i % DISTINCT) } }) });
        await res.body.dump();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const searches = (await dg.metric('devicegate_ldap_searches_total')) - before;
    const coalesced = await dg.metric('devicegate_cache_coalesced_total');
    const result = {
      benchmark: 'herd',
      when: new Date().toISOString(),
      server: 'devicegate (own process) on slapd (private, loopback)',
      requests: HERD,
      distinctDevices: DISTINCT,
      searchesCacheOn: searches,
      /** What a cache without single-flight would send: one search per cold request. */
      searchesCacheOff: HERD,
      searchesPerDistinctDevice: Number((searches / DISTINCT).toFixed(3)),
      coalescedTotal: coalesced,
      statuses: Object.fromEntries(statuses),
      seconds: Number(seconds.toFixed(3)),
      loadAverage: loadAverage(),
    };
    console.log(`herd: ${HERD} concurrent cold requests over ${DISTINCT} devices -> ${searches} LDAP searches (server-counted; ideal ${DISTINCT}); statuses ${JSON.stringify(result.statuses)}; ${result.seconds} s`);
    await writeResult('herd', result);
  } finally {
    await pool.close();
    await dg.stop();
  }
} finally {
  await bench.close();
}
