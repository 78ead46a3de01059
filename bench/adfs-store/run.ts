/**
 * Attribute-store queries (POST /v1/adfs/attribute-store/query, cached device) beside cached
 * POST /v1/decisions for the same inputs, against one devicegate process, same autocannon settings,
 * alternating slices so background load on a shared machine hits all three alike.
 * Env: BENCH_CONNECTIONS (50), BENCH_DURATION seconds per target (10), BENCH_ROUNDS (5), BENCH_WARMUP (3).
 * Writes bench/results/adfs-store.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { generateToken, tokenHashEntry } from '../../src/server/index.js';

const root = resolve(import.meta.dirname, '../..');
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const duration = Number(process.env.BENCH_DURATION ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const slice = Math.max(1, Math.round(duration / rounds));
const warmupSeconds = Number(process.env.BENCH_WARMUP ?? 3);
const token = generateToken();
const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };

const manifest = JSON.parse(readFileSync(join(root, 'fixtures/devices.json'), 'utf8')) as { devices: { slug: string; thumbprint: string }[]; users: { name: string; sid: string }[] };
const thumbprint = manifest.devices.find((d) => d.slug === 'hybrid-compliant')!.thumbprint;
const sid = manifest.users.find((u) => u.name === 'alice')!.sid;
const RP = 'https://payroll.contoso.com/';

const TARGETS = {
  decisions: { path: '/v1/decisions', body: { relyingParty: RP, device: { thumbprint }, claims: [{ type: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid', value: sid }] } },
  storeDecision: { path: '/v1/adfs/attribute-store/query', body: { query: 'decision;decision,reason;{0};{1};{2}', params: [RP, thumbprint, sid] } },
  storeDevice: { path: '/v1/adfs/attribute-store/query', body: { query: 'device;isknown,ismanaged,iscompliant,trusttype;{0}', params: [thumbprint] } },
} as const;
type Name = keyof typeof TARGETS;

interface Measured { requestsPerSecond: number; latencyP50Ms: number; latencyP99Ms: number; non2xx: number; errors: number; cpuMicrosPerRequest: number }

/** The target's CPU time so far (user + system, µs) from /proc: per-request CPU is steadier than req/s on a shared machine. */
function cpuMicros(pid: number | undefined): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function startDevicegate(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/http/target.ts'), 'devicegate', join(root, 'rules'), `ldif:${join(root, 'fixtures/contoso.ldif')}`, ''], {
    cwd: root,
    env: { ...process.env, DEVICEGATE_API_TOKENS: tokenHashEntry(token, 'admin') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((ok, fail) => {
    lines.once('line', (line) => ok((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => fail(new Error(`target exited ${String(code)}`)));
  });
  return { child, port };
}

async function load(port: number, pid: number | undefined, name: Name, seconds: number): Promise<Measured> {
  const t = TARGETS[name];
  const before = cpuMicros(pid);
  const r = await autocannon({ url: `http://127.0.0.1:${port}${t.path}`, method: 'POST', headers, body: JSON.stringify(t.body), connections, duration: seconds });
  const cpu = (cpuMicros(pid) - before) / Math.max(1, r.requests.total);
  return { requestsPerSecond: r.requests.average, latencyP50Ms: r.latency.p50, latencyP99Ms: r.latency.p99, non2xx: r.non2xx, errors: r.errors, cpuMicrosPerRequest: cpu };
}

async function main(): Promise<void> {
  const dg = await startDevicegate();
  const runs: Record<Name, Measured>[] = [];
  try {
    for (const name of Object.keys(TARGETS) as Name[]) {
      const t = TARGETS[name];
      // Start-up compiles under tsx: the back-pressure check may answer 503 for a few seconds on a busy machine.
      let res = await fetch(`http://127.0.0.1:${dg.port}${t.path}`, { method: 'POST', headers, body: JSON.stringify(t.body) });
      for (let i = 0; i < 20 && res.status === 503; i++) {
        await res.text();
        await new Promise((ok) => setTimeout(ok, 1000));
        res = await fetch(`http://127.0.0.1:${dg.port}${t.path}`, { method: 'POST', headers, body: JSON.stringify(t.body) });
      }
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${name}: ${res.status} ${text}`);
      process.stdout.write(`${name}: ${text.slice(0, 160)}\n`);
    }
    for (const name of Object.keys(TARGETS) as Name[]) await load(dg.port, dg.child.pid, name, warmupSeconds);
    const order = Object.keys(TARGETS) as Name[];
    for (let round = 0; round < rounds; round++) {
      const run = {} as Record<Name, Measured>;
      const names = round % 2 === 0 ? order : [...order].reverse();
      for (const name of names) run[name] = await load(dg.port, dg.child.pid, name, slice);
      runs.push(run);
      process.stdout.write(`round ${round + 1}: ${order.map((n) => `${n} ${run[n].requestsPerSecond.toFixed(0)} req/s p99 ${run[n].latencyP99Ms} ms ${run[n].cpuMicrosPerRequest.toFixed(1)} µs CPU`).join(', ')}\n`);
    }
  } finally {
    const exited = new Promise((ok) => dg.child.once('exit', ok));
    dg.child.kill('SIGTERM');
    await exited;
  }
  const mean = (name: Name, pick: (m: Measured) => number): number => runs.reduce((s, r) => s + pick(r[name]), 0) / runs.length;
  // The median round resists the bursts of other work on a shared machine better than the mean.
  const median = (name: Name, pick: (m: Measured) => number): number => {
    const xs = runs.map((r) => pick(r[name])).sort((x, y) => x - y);
    return xs[Math.floor(xs.length / 2)] ?? 0;
  };
  const roundRatios = (name: Name): number => {
    const xs = runs.map((r) => r[name].requestsPerSecond / r.decisions.requestsPerSecond).sort((x, y) => x - y);
    return xs[Math.floor(xs.length / 2)] ?? 0;
  };
  const summary: Record<string, unknown> = {
    benchmark: 'adfs-store',
    date: new Date().toISOString(),
    node: process.version,
    settings: { connections, durationSecondsPerTarget: duration, sliceSeconds: slice, warmupSeconds, rounds, directory: 'ldif', device: 'cached (hybrid-compliant, by thumbprint)' },
    loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
    runs,
  };
  for (const name of Object.keys(TARGETS) as Name[]) {
    summary[name] = {
      path: TARGETS[name].path,
      query: 'query' in TARGETS[name].body ? (TARGETS[name].body as { query: string }).query : undefined,
      requestsPerSecond: mean(name, (m) => m.requestsPerSecond),
      latencyP50Ms: mean(name, (m) => m.latencyP50Ms),
      latencyP99Ms: mean(name, (m) => m.latencyP99Ms),
      non2xx: runs.reduce((s, r) => s + r[name].non2xx, 0),
      ratioToDecisions: mean(name, (m) => m.requestsPerSecond) / mean('decisions', (m) => m.requestsPerSecond),
      medianRoundRequestsPerSecond: median(name, (m) => m.requestsPerSecond),
      medianRoundLatencyP99Ms: median(name, (m) => m.latencyP99Ms),
      medianRoundRatioToDecisions: roundRatios(name),
      cpuMicrosPerRequest: mean(name, (m) => m.cpuMicrosPerRequest),
      cpuRatioToDecisions: mean('decisions', (m) => m.cpuMicrosPerRequest) / mean(name, (m) => m.cpuMicrosPerRequest),
    };
  }
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/adfs-store.json'), `${JSON.stringify(summary, null, 2)}\n`);
  for (const name of Object.keys(TARGETS) as Name[]) {
    const s = summary[name] as {
      requestsPerSecond: number; latencyP50Ms: number; latencyP99Ms: number; ratioToDecisions: number; non2xx: number;
      medianRoundRequestsPerSecond: number; medianRoundLatencyP99Ms: number; medianRoundRatioToDecisions: number;
      cpuMicrosPerRequest: number; cpuRatioToDecisions: number;
    };
    process.stdout.write(
      `${name.padEnd(14)} mean ${s.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${s.latencyP50Ms.toFixed(2)} ms  p99 ${s.latencyP99Ms.toFixed(2)} ms  ratio ${s.ratioToDecisions.toFixed(3)}` +
        ` | median round ${s.medianRoundRequestsPerSecond.toFixed(0)} req/s  p99 ${s.medianRoundLatencyP99Ms.toFixed(2)} ms  ratio ${s.medianRoundRatioToDecisions.toFixed(3)}` +
        ` | CPU ${s.cpuMicrosPerRequest.toFixed(1)} µs/request (decisions/this ${s.cpuRatioToDecisions.toFixed(3)})${s.non2xx > 0 ? `  (${s.non2xx} non-2xx!)` : ''}\n`,
    );
  }
  process.stdout.write(`load average ${(summary.loadAverage as number[]).join(' ')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/adfs-store: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
