// Directory freshness and DC faults, at default settings (not a test: prints numbers and writes
// bench/results/freshness.json).
// - revocation: a cached permit; the device is disabled in the directory (as an admin would); time
//   until the decision is deny. slapd and Samba AD, BENCH_SAMPLES each (default 5).
// - failover: two slapd DCs, the first frozen (SIGSTOP); BENCH_CALLERS (8) callers make uncached
//   decisions for BENCH_SECONDS (10), each at most every BENCH_PACE_MS (50); false denies and latency
//   percentiles.
// BENCH_SCENARIOS=revocation-slapd,revocation-samba,failover (default all); BENCH_CAP_MS bounds one
// revocation wait (default 70000: without change tracking it is the cache TTL).
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { openDirectory } from '../../src/directory/index.js';
import { createDecisionEngine } from '../../src/policy/index.js';
import { SLAPD_ROOT_DN, SLAPD_ROOT_PASSWORD, startSambaDc, startSlapd } from '../../test/harness/index.js';
import { SAMBA_ADMIN_PASSWORD } from '../../test/harness/start-samba-dc.js';
import { activeFixture } from '../../test/directory/active-fixture.js';
import { permittedDevice, setAttribute } from '../../test/directory/change-cases.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const RP = 'https://payroll.contoso.com/';
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 5);
const CALLERS = Number(process.env.BENCH_CALLERS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CAP_MS = Number(process.env.BENCH_CAP_MS ?? 70_000);
/** Each caller starts a decision at most this often (paced like real traffic; 0 = back to back). */
const PACE_MS = Number(process.env.BENCH_PACE_MS ?? 50);
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? 'revocation-slapd,revocation-samba,failover').split(',');
const spec = activeFixture();
const { thumbprint, deviceId } = permittedDevice();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
const result: Record<string, unknown> = { benchmark: 'freshness', when: new Date().toISOString(), node: process.version };

async function revocation(name: string, live: { url: string; bindDn: string; password: string }, admin: { url: string; dn: string; password: string }): Promise<void> {
  const directory = await openDirectory({ url: live.url, bindDn: live.bindDn, password: live.password });
  const engine = await createDecisionEngine({ rulesDir: `${ROOT}rules`, directory });
  const decide = async () => (await engine.decide({ relyingParty: RP, device: { thumbprint } })).decision;
  const dn = (await directory.find({ kind: 'deviceId', deviceId }))!.dn;
  const times: number[] = [];
  try {
    for (let i = 0; i < SAMPLES; i++) {
      // A cached permit first (the answer admins expect to be revoked).
      for (let w = 0; (await decide()) !== 'permit'; w++) {
        if (w * 20 > CAP_MS) throw new Error('device never permitted again');
        await sleep(20);
      }
      await decide();
      // At a random point of the poll cycle, as a real admin would.
      await sleep(Math.random() * 1000);
      await setAttribute(admin, dn, 'msDS-IsEnabled', 'FALSE');
      const started = performance.now();
      while ((await decide()) !== 'deny' && performance.now() - started < CAP_MS) await sleep(10);
      times.push(performance.now() - started);
      await setAttribute(admin, dn, 'msDS-IsEnabled', 'TRUE');
      await sleep(300);
    }
  } finally {
    await engine.close();
    await directory.close();
  }
  const sorted = [...times].sort((a, b) => a - b);
  const row = { samples: times.map(Math.round), medianMs: Math.round(pct(sorted, 0.5)), maxMs: Math.round(sorted.at(-1) ?? 0) };
  result[name] = row;
  console.log(`${name}: disable -> deny at defaults, ms: ${row.samples.join(', ')} (median ${row.medianMs}, max ${row.maxMs})`);
}

function untilStopped(pid: number): Promise<void> {
  return (async () => {
    for (let i = 0; i < 400; i++) {
      const tasks = readdirSync(`/proc/${pid}/task`);
      if (tasks.every((task) => /^\d+ \(.*\) T /.test(readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8')))) return;
      await sleep(5);
    }
    throw new Error(`${pid} did not stop`);
  })();
}

async function failover(): Promise<void> {
  const [a, b] = [await startSlapd(spec.ldifPath, { serviceAccount: spec.serviceAccount }), await startSlapd(spec.ldifPath, { serviceAccount: spec.serviceAccount })];
  const directory = await openDirectory({ url: `${a.url},${b.url}`, bindDn: a.bindDn, password: a.password });
  const engine = await createDecisionEngine({ rulesDir: `${ROOT}rules`, directory, cache: false });
  try {
    if ((await engine.decide({ relyingParty: RP, device: { thumbprint } })).decision !== 'permit') throw new Error('warm-up decision is not permit');
    process.kill(a.pid, 'SIGSTOP');
    await untilStopped(a.pid);
    const times: number[] = [];
    let notPermit = 0;
    const end = performance.now() + SECONDS * 1000;
    await Promise.all(Array.from({ length: CALLERS }, async () => {
      while (performance.now() < end) {
        const started = performance.now();
        const d = await engine.decide({ relyingParty: RP, device: { thumbprint } });
        const took = performance.now() - started;
        times.push(took);
        if (d.decision !== 'permit') notPermit++;
        if (PACE_MS > took) await sleep(PACE_MS - took);
      }
    }));
    const sorted = [...times].sort((x, y) => x - y);
    const row = {
      callers: CALLERS,
      paceMs: PACE_MS,
      seconds: SECONDS,
      decisions: times.length,
      falseDenies: notPermit,
      p50Ms: Math.round(pct(sorted, 0.5)),
      p99Ms: Math.round(pct(sorted, 0.99)),
      maxMs: Math.round(sorted.at(-1) ?? 0),
      over1s: times.filter((x) => x > 1000).length,
      over4s: times.filter((x) => x > 4000).length,
    };
    result.failover = row;
    console.log(`failover (first of two slapd DCs frozen, uncached, ${CALLERS} callers every ${PACE_MS} ms, ${SECONDS} s): ${JSON.stringify(row)}`);
  } finally {
    try {
      process.kill(a.pid, 'SIGCONT');
    } catch { /* gone */ }
    await engine.close();
    await directory.close();
    await a.stop();
    await b.stop();
  }
}

if (SCENARIOS.includes('revocation-slapd')) {
  const s = await startSlapd(spec.ldifPath, { serviceAccount: spec.serviceAccount });
  try {
    await revocation('revocation-slapd', s, { url: s.url, dn: SLAPD_ROOT_DN, password: SLAPD_ROOT_PASSWORD });
  } finally {
    await s.stop();
  }
}
if (SCENARIOS.includes('revocation-samba')) {
  const s = await startSambaDc(spec.ldifPath, spec.serviceAccount);
  try {
    await revocation('revocation-samba', s, { url: s.url, dn: 'CN=Administrator,CN=Users,DC=contoso,DC=com', password: SAMBA_ADMIN_PASSWORD });
  } finally {
    await s.stop();
  }
}
if (SCENARIOS.includes('failover')) await failover();
mkdirSync(`${ROOT}bench/results`, { recursive: true });
writeFileSync(`${ROOT}bench/results/freshness.json`, `${JSON.stringify(result, null, 2)}\n`);
