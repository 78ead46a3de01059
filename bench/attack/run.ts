/**
 * bench/attack: replays issue 8's attacks against a running devicegate and measures what an ordinary
 * client and a liveness probe see meanwhile. Its own processes: a `devicegate serve` child (temp rules/
 * tree with the attack relying parties, LDAP to a private slapd from test/harness) and the overload
 * generator (bench/attack/load.ts, autocannon). Writes bench/results/attack.json.
 *
 * Env: BENCH_ATTACKS (comma list; default all: redos,join,fanout,slow-bodies,silent-connections,oversize,expect-continue,
 *      overload-cached,overload-uncached,flood-cached,flood-uncached), BENCH_PHASE_SECONDS (10),
 *      BENCH_OVERLOAD_FACTOR (4), BENCH_OVERLOAD_CONNECTIONS (1000), BENCH_FLOOD_CONNECTIONS (1500),
 *      BENCH_SERVE_ARGS (extra serve flags, space-separated).
 * overload-*: autocannon (open loop) at BENCH_OVERLOAD_FACTOR x the capacity measured in the same run.
 * flood-*: wrk (closed loop) with BENCH_FLOOD_CONNECTIONS connections, as in the issue (500-1,500).
 * The ordinary client and the /healthz probe run in a third process (bench/attack/probe-child.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { generateToken, tokenHashEntry } from '../../src/server/index.js';
import { SLAPD_SUFFIX, startSlapd } from '../../test/harness/index.js';
import { expectContinue, fanout, join3, oversize, redos, silentConnections, slowBodies, type AttackResult, type Target } from './attacks.js';
import type { ProbeSummary } from './probes.js';
import { writeAttackRules } from './rules.js';
import { wrk, type WrkResult } from './wrk.js';

const root = resolve(import.meta.dirname, '../..');
const ALL = ['redos', 'join', 'fanout', 'slow-bodies', 'silent-connections', 'oversize', 'expect-continue', 'overload-cached', 'overload-uncached', 'flood-cached', 'flood-uncached'] as const;
type AttackName = (typeof ALL)[number];
const selected = (process.env.BENCH_ATTACKS ?? ALL.join(',')).split(',').map((s) => s.trim()).filter((s) => s !== '') as AttackName[];
for (const name of selected) if (!ALL.includes(name)) throw new Error(`BENCH_ATTACKS: unknown attack "${name}" (known: ${ALL.join(', ')})`);
const seconds = Number(process.env.BENCH_PHASE_SECONDS ?? 10);
const factor = Number(process.env.BENCH_OVERLOAD_FACTOR ?? 4);
const overloadConnections = Number(process.env.BENCH_OVERLOAD_CONNECTIONS ?? 1000);
const floodConnections = Number(process.env.BENCH_FLOOD_CONNECTIONS ?? 1500);
const serveArgs = (process.env.BENCH_SERVE_ARGS ?? '').split(' ').filter((s) => s !== '');
const ORDINARY_P99_AIM_MS = 50;

const PAYROLL = 'https://payroll.contoso.com/';
const COMPLIANT = '0058DF301BC35E03A80EC24DB632FACF52D05041';
const ORDINARY_BODY = JSON.stringify({ relyingParty: PAYROLL, device: { thumbprint: COMPLIANT } });
const token = generateToken();

interface Server {
  child: ChildProcess;
  port: number;
  stderr: string[];
  exited: boolean;
}

async function startServe(directoryUrl: string, bindDn: string, password: string, rulesDir: string): Promise<Server> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'serve', '--directory', directoryUrl, '--base-dn', SLAPD_SUFFIX, '--rules', rulesDir, '--port', '0', '--log-level', 'warn', ...serveArgs],
    { cwd: root, env: { ...process.env, DEVICEGATE_API_TOKENS: tokenHashEntry(token), DEVICEGATE_LDAP_BIND_DN: bindDn, DEVICEGATE_LDAP_PASSWORD: password }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const server: Server = { child, port: 0, stderr: [], exited: false };
  createInterface({ input: child.stderr! }).on('line', (line) => {
    server.stderr.push(line);
    if (server.stderr.length > 40) server.stderr.shift();
  });
  child.once('exit', () => (server.exited = true));
  server.port = await new Promise<number>((ok, fail) => {
    createInterface({ input: child.stdout! }).once('line', (line) => {
      const port = /listening on https?:\/\/[^:]+:(\d+)/.exec(line)?.[1];
      if (port) ok(Number(port));
      else fail(new Error(`serve printed: ${line}`));
    });
    child.once('exit', (code) => fail(new Error(`serve exited ${String(code)}: ${server.stderr.join('\n')}`)));
  });
  return server;
}

async function stopServe(server: Server): Promise<void> {
  if (server.exited) return;
  const exited = new Promise((ok) => server.child.once('exit', ok));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Up = the process runs and /healthz answers 200 within 2 s. */
async function isUp(server: Server): Promise<boolean> {
  if (server.exited) return false;
  try {
    return (await fetch(`http://127.0.0.1:${server.port}/healthz`, { signal: AbortSignal.timeout(2000) })).status === 200;
  } catch {
    return false;
  }
}

/** devicegate_ldap_searches_total from /metrics (undefined when it cannot be read). */
async function ldapSearches(server: Server): Promise<number | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const value = /^devicegate_ldap_searches_total (\d+)/m.exec(text)?.[1];
    return value === undefined ? undefined : Number(value);
  } catch {
    return undefined;
  }
}

function rssMb(pid: number | undefined): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the probe process (ordinary client + /healthz); stop() returns what each saw. */
async function startProbes(port: number): Promise<{ stop(): Promise<{ ordinary: ProbeSummary; healthz: ProbeSummary }> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/attack/probe-child.ts'), JSON.stringify({ port, token, body: ORDINARY_BODY })], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const next = (): Promise<string> => new Promise((ok, fail) => {
    lines.once('line', ok);
    child.once('exit', (code) => fail(new Error(`probe process exited ${String(code)}`)));
  });
  await next(); // "started"
  return {
    async stop() {
      const result = next();
      child.stdin!.write('stop\n');
      return JSON.parse(await result) as { ordinary: ProbeSummary; healthz: ProbeSummary };
    },
  };
}

interface LoadResult {
  requestsPerSecond: number;
  responses: number;
  sent: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
}

async function load(port: number, options: { connections: number; seconds: number; overallRate?: number; uncached?: boolean }): Promise<LoadResult> {
  const args = {
    url: `http://127.0.0.1:${port}/v1/decisions`,
    token,
    connections: options.connections,
    seconds: options.seconds,
    ...(options.overallRate ? { overallRate: Math.round(options.overallRate) } : {}),
    ...(options.uncached ? { randomThumbprint: { relyingParty: PAYROLL } } : { body: ORDINARY_BODY }),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/attack/load.ts'), JSON.stringify(args)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((ok) => child.once('exit', ok));
  if (code !== 0) throw new Error(`load generator exited ${String(code)}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as LoadResult;
}

interface Phase {
  name: string;
  attack: AttackResult | LoadResult | WrkResult | Record<string, unknown>;
  permitted: number;
  ordinary: ProbeSummary;
  healthz: ProbeSummary;
  serverUpAfter: boolean;
  serverExited: boolean;
  /** Directory searches during the phase (the ordinary client's are cache hits). */
  ldapSearches?: number;
  rssMbAfter?: number;
  stderrTail?: string[];
}

async function main(): Promise<void> {
  const slapd = await startSlapd(join(root, 'fixtures/contoso.ldif'));
  const rulesDir = writeAttackRules(join(root, 'rules'));
  let server = await startServe(slapd.url, slapd.bindDn, slapd.password, rulesDir);
  const phases: Phase[] = [];
  const capacity: { cachedRps?: number; uncachedRps?: number; connections: number; seconds: number } = { connections: 50, seconds: 8 };
  try {
    // Warm up: JIT, the device cache, LDAP connections.
    await load(server.port, { connections: 10, seconds: 3 });
    const needsCapacity = selected.some((a) => a.startsWith('overload'));
    if (needsCapacity) {
      capacity.cachedRps = (await load(server.port, { connections: capacity.connections, seconds: capacity.seconds })).requestsPerSecond;
      capacity.uncachedRps = (await load(server.port, { connections: capacity.connections, seconds: capacity.seconds, uncached: true })).requestsPerSecond;
      console.log(`capacity: cached ${capacity.cachedRps} decisions/s, uncached (an LDAP search each) ${capacity.uncachedRps} decisions/s`);
    }

    const run = async (name: string, attack: (target: Target) => Promise<AttackResult | LoadResult | WrkResult | Record<string, unknown>>): Promise<void> => {
      if (!(await isUp(server))) {
        await stopServe(server);
        server = await startServe(slapd.url, slapd.bindDn, slapd.password, rulesDir);
      }
      const searchesBefore = await ldapSearches(server);
      const probes = await startProbes(server.port);
      const result = await attack({ port: server.port, token, seconds }).catch((error: unknown) => ({ error: String(error) }));
      const { ordinary: o, healthz: h } = await probes.stop();
      const up = await isUp(server);
      const searchesAfter = up ? await ldapSearches(server) : undefined;
      const phase: Phase = {
        name,
        attack: result,
        permitted: typeof (result as { permitted?: unknown }).permitted === 'number' ? (result as { permitted: number }).permitted : 0,
        ordinary: o,
        healthz: h,
        serverUpAfter: up,
        serverExited: server.exited,
        ...(searchesBefore !== undefined && searchesAfter !== undefined ? { ldapSearches: searchesAfter - searchesBefore } : {}),
        ...(rssMb(server.child.pid) !== undefined ? { rssMbAfter: rssMb(server.child.pid)! } : {}),
        ...(up ? {} : { stderrTail: server.stderr.slice(-10) }),
      };
      phases.push(phase);
      console.log(
        `${name.padEnd(18)} attack ${JSON.stringify(result).slice(0, 160)}\n${''.padEnd(18)} ordinary p50 ${o.p50Ms} ms p99 ${o.p99Ms} ms max ${o.maxMs} ms (${o.ok}/${o.sent} ok ${JSON.stringify(o.statuses)}); healthz p99 ${h.p99Ms} ms max ${h.maxMs} ms; up after: ${up}; LDAP searches ${phase.ldapSearches ?? '?'}`,
      );
      await new Promise((ok) => setTimeout(ok, 2000));
    };

    await run('baseline', async () => {
      await new Promise((ok) => setTimeout(ok, seconds * 1000));
      return { requests: 0, statuses: {}, permitted: 0 };
    });
    for (const name of selected) {
      if (name === 'redos') await run(name, redos);
      else if (name === 'join') await run(name, join3);
      else if (name === 'fanout') await run(name, fanout);
      else if (name === 'slow-bodies') await run(name, (t) => slowBodies(t));
      else if (name === 'silent-connections') await run(name, (t) => silentConnections(t));
      else if (name === 'oversize') await run(name, oversize);
      else if (name === 'expect-continue') await run(name, (t) => expectContinue(t));
      else if (name === 'overload-cached') {
        await run(name, (t) => load(t.port, { connections: overloadConnections, seconds: t.seconds, overallRate: factor * (capacity.cachedRps ?? 1000) }).then((r) => ({ ...r, offeredRate: factor * (capacity.cachedRps ?? 1000) })));
      } else if (name === 'overload-uncached') {
        await run(name, (t) => load(t.port, { connections: overloadConnections, seconds: t.seconds, overallRate: factor * (capacity.uncachedRps ?? 500), uncached: true }).then((r) => ({ ...r, offeredRate: factor * (capacity.uncachedRps ?? 500) })));
      } else if (name === 'flood-cached' || name === 'flood-uncached') {
        const uncached = name === 'flood-uncached';
        await run(name, (t) => wrk(`http://127.0.0.1:${t.port}/v1/decisions`, token, { connections: floodConnections, seconds: t.seconds, relyingParty: PAYROLL, ...(uncached ? {} : { body: ORDINARY_BODY }) }));
      }
    }
  } finally {
    await stopServe(server);
    await slapd.stop();
  }

  const attacks = phases.filter((p) => p.name !== 'baseline');
  const baseline = phases.find((p) => p.name === 'baseline');
  const baselineP99 = baseline?.ordinary.p99Ms ?? 0;
  const summary = {
    benchmark: 'attack',
    date: new Date().toISOString(),
    node: process.version,
    loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
    settings: { attacks: selected, phaseSeconds: seconds, overloadFactor: factor, overloadConnections, floodConnections, serveArgs, ordinaryRatePerSecond: 50, healthzRatePerSecond: 20 },
    capacity,
    verdict: {
      permittedAttackRequests: attacks.reduce((s, p) => s + p.permitted, 0),
      crashedOrStalled: attacks.filter((p) => !p.serverUpAfter).map((p) => p.name),
      ordinaryP99AimMs: ORDINARY_P99_AIM_MS,
      ordinaryP99OverAim: attacks.filter((p) => p.ordinary.p99Ms >= ORDINARY_P99_AIM_MS).map((p) => `${p.name} (${p.ordinary.p99Ms} ms)`),
      // The machines are shared: each phase's p99 over the same run's idle baseline p99.
      ordinaryP99OverBaseline: Object.fromEntries(attacks.map((p) => [p.name, baselineP99 > 0 ? Number((p.ordinary.p99Ms / baselineP99).toFixed(2)) : null])),
      ordinaryNotOk: attacks.filter((p) => p.ordinary.ok < p.ordinary.sent).map((p) => `${p.name} (${p.ordinary.sent - p.ordinary.ok}/${p.ordinary.sent})`),
    },
    phases,
  };
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/attack.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`verdict: ${JSON.stringify(summary.verdict)}`);
  console.log('wrote bench/results/attack.json');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/attack: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
