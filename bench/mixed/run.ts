// Mixed load: Zipf(1) popularity over BENCH_DEVICES (100k) devices in a private slapd, at a fixed
// offered rate (open loop), driven by `devicegate loadtest` in its own process against a devicegate
// process with its default cache. Reports the cache hit ratio (server /metrics) and p99, and as the
// same-run baseline the p99 at the same rate when every request is for one cached device.
// Env: BENCH_DEVICES (100000), BENCH_RATE (1000), BENCH_SECONDS (15), BENCH_RP. Writes bench/results/mixed.json.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevicegate, type DevicegateProcess } from '../devicegate-process.js';
import { DEVICES, ROOT, loadAverage, startLdapBench, writeResult } from '../ldap-baseline.js';

const RATE = Number(process.env.BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const RP = process.env.BENCH_RP ?? 'https://claims.contoso.com/';

interface Report {
  requests: number;
  achievedRate: number;
  latencyMs: { p50: number; p99: number; p999: number; max: number };
  errorCount: number;
  decisions: Record<string, number>;
  maxInFlight: number;
}

function loadtest(dg: DevicegateProcess, population: string, seconds: number, zipf = '1'): Promise<Report> {
  return new Promise((ok, fail) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', `${ROOT}src/cli/main.ts`, 'loadtest', '--target', dg.url, '--token', dg.token, '--rp', RP, '--devices', population, '--zipf', zipf, '--rate', String(RATE), '--duration', String(seconds), '--warmup', '1', '--json'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => (code === 0 ? ok(JSON.parse(out) as Report) : fail(new Error(`loadtest exited ${String(code)}`))));
  });
}

const bench = await startLdapBench();
const dir = await mkdtemp(join(tmpdir(), 'dg-mixed-'));
try {
  const all = join(dir, 'all.jsonl');
  const one = join(dir, 'one.jsonl');
  // tpAt walks the generated devices with a prime stride: DEVICES steps visit each once.
  await writeFile(all, Array.from({ length: DEVICES }, (_, i) => JSON.stringify({ thumbprint: bench.tpAt(i) })).join('\n'));
  await writeFile(one, `${JSON.stringify({ thumbprint: bench.tpAt(0) })}\n`);
  const dg = await startDevicegate({ directory: bench.server.url, bindDn: bench.server.bindDn, password: bench.server.password });
  try {
    // A warm-up (JIT, connections, the popular devices), the baseline (one device: every request a
    // hit), then the measured run.
    await loadtest(dg, all, 1);
    const baseline = await loadtest(dg, one, Math.max(2, SECONDS / 2));
    const hits0 = await dg.metric('devicegate_cache_hits_total');
    const misses0 = await dg.metric('devicegate_cache_misses_total');
    const searches0 = await dg.metric('devicegate_ldap_searches_total');
    const run = await loadtest(dg, all, SECONDS);
    const hits = (await dg.metric('devicegate_cache_hits_total')) - hits0;
    const misses = (await dg.metric('devicegate_cache_misses_total')) - misses0;
    const searches = (await dg.metric('devicegate_ldap_searches_total')) - searches0;
    const result = {
      benchmark: 'mixed',
      when: new Date().toISOString(),
      server: 'devicegate (own process, default cache) on slapd (private, loopback); load from `devicegate loadtest` (own process)',
      devices: DEVICES,
      zipf: 1,
      offeredRate: RATE,
      seconds: SECONDS,
      relyingParty: RP,
      requests: run.requests,
      achievedRate: run.achievedRate,
      errors: run.errorCount,
      hits,
      misses,
      ldapSearches: searches,
      hitRatio: Number((hits / Math.max(1, hits + misses)).toFixed(4)),
      p50Ms: run.latencyMs.p50,
      p99Ms: run.latencyMs.p99,
      p999Ms: run.latencyMs.p999,
      maxMs: run.latencyMs.max,
      maxInFlight: run.maxInFlight,
      baselineP99Ms: baseline.latencyMs.p99,
      baselineP50Ms: baseline.latencyMs.p50,
      p99Ratio: Number((run.latencyMs.p99 / Math.max(0.001, baseline.latencyMs.p99)).toFixed(3)),
      loadAverage: loadAverage(),
    };
    console.log(
      `mixed: ${DEVICES} devices, Zipf 1, ${RATE} req/s offered for ${SECONDS} s: achieved ${run.achievedRate}/s, hit ratio ${result.hitRatio}, ` +
        `p99 ${run.latencyMs.p99} ms (one cached device at the same rate: ${baseline.latencyMs.p99} ms; ratio ${result.p99Ratio}), errors ${run.errorCount}`,
    );
    await writeResult('mixed', result);
  } finally {
    await dg.stop();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
  await bench.close();
}
