/**
 * Cached POST /v1/decisions vs a bare Fastify route returning a same-sized JSON body (quality bar: >= 0.8x).
 * Both targets run as child processes; autocannon runs here with the same settings against each.
 * Env: BENCH_CONNECTIONS (50), BENCH_DURATION seconds (10), BENCH_ROUNDS (5), BENCH_WARMUP (3), BENCH_DIRECTORY, BENCH_RULES,
 * BENCH_PRESENTATION, BENCH_CLAIMS, BENCH_CLIENT, BENCH_PIN, BENCH_AUDIT (see below).
 * Writes bench/results/http.json.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { generateToken, tokenHashEntry } from '../../src/server/index.js';

const root = resolve(import.meta.dirname, '../..');
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
// Total seconds per target, split into alternating slices so background load on a shared machine hits both alike.
const duration = Number(process.env.BENCH_DURATION ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const slice = Math.max(1, Math.round(duration / rounds));
const warmupSeconds = Number(process.env.BENCH_WARMUP ?? 3);
const directoryUrl = process.env.BENCH_DIRECTORY ?? `ldif:${join(root, 'fixtures/contoso.ldif')}`;
const rulesDir = process.env.BENCH_RULES ?? join(root, 'rules');
const token = generateToken();

interface Target { child: ChildProcess; port: number }

/** Every target started, so a failure before the measuring loop's own cleanup still stops them. */
const children: ChildProcess[] = [];

/**
 * BENCH_PIN=1 (default where taskset and 2+ cores exist; 0 to turn off): each target on core 0, the
 * load generator on core 1, so the scheduler never puts the client on the server's core (that
 * co-location made runs swing by 30%+ on a shared 2-core machine). Both targets are pinned alike.
 */
const pin = process.env.BENCH_PIN !== '0' && cpus().length >= 2 && spawnSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' }).status === 0;

/**
 * The audit log as `serve` writes it by default: one line per decision on its stdout, a pipe that
 * another process reads (journald, a container runtime). Here the devicegate target's stdout goes to
 * `cat > /dev/null` on the client's core, and the target reports its port on fd 3 instead.
 * BENCH_AUDIT=off, =discard (lines built, not written) or =<file> (appended to a file on this
 * machine's disk: the first touch of every new page-cache page is dear in this VM) instead.
 */
const auditToPipe = process.env.BENCH_AUDIT === undefined || process.env.BENCH_AUDIT === '';

async function startTarget(mode: 'bare' | 'devicegate', replyFile = ''): Promise<Target> {
  const args = ['--import', 'tsx', join(root, 'bench/http/target.ts'), mode, rulesDir, directoryUrl, replyFile];
  const reader = mode === 'devicegate' && auditToPipe ? spawn(pin ? 'taskset' : 'cat', pin ? ['-c', '1', 'cat'] : [], { stdio: ['pipe', 'ignore', 'inherit'] }) : undefined;
  if (reader) children.push(reader);
  const child = spawn(pin ? 'taskset' : process.execPath, pin ? ['-c', '0', process.execPath, ...args] : args, {
    cwd: root,
    env: { ...process.env, DEVICEGATE_API_TOKENS: tokenHashEntry(token, 'admin'), ...(reader ? { BENCH_AUDIT: 'stdout', BENCH_PORT_FD: '3' } : {}) },
    stdio: reader ? ['ignore', reader.stdin!, 'inherit', 'pipe'] : ['ignore', 'pipe', 'inherit'],
  });
  // The target holds the audit pipe now; the reader sees its end when the target exits.
  reader?.stdin?.destroy();
  children.push(child);
  const lines = createInterface({ input: (reader ? child.stdio[3] : child.stdout) as NodeJS.ReadableStream });
  const port = await new Promise<number>((ok, fail) => {
    lines.once('line', (line) => ok((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => fail(new Error(`${mode} target exited ${String(code)}`)));
  });
  return { child, port };
}

async function stop(target: Target): Promise<void> {
  const exited = new Promise((ok) => target.child.once('exit', ok));
  target.child.kill('SIGTERM');
  await exited;
}

/** BENCH_PRESENTATION: thumbprint (default) or certificate (the known device's PEM, as AD FS would pass it). */
const presentation = process.env.BENCH_PRESENTATION === 'certificate' ? 'certificate' : 'thumbprint';

/**
 * BENCH_CLAIMS=1: the request also carries the user's claims (UPN, primary SID, two group SIDs), as an
 * AD FS integration forwards them; then the rules run on every request (a device-only input's outcome
 * is remembered per relying party; one with caller claims is not).
 */
const withClaims = process.env.BENCH_CLAIMS === '1';
const USER_CLAIMS = [
  { type: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', value: 'alice@contoso.com' },
  { type: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid', value: 'S-1-5-21-2378277246-2682074319-435474115-1104' },
  { type: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid', value: 'S-1-5-21-2378277246-2682074319-435474115-513' },
  { type: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid', value: 'S-1-5-21-2378277246-2682074319-435474115-1202' },
];

function pickRequest(): { relyingParty: string; device?: { thumbprint: string } | { certificate: string }; claims?: typeof USER_CLAIMS } {
  const manifest = JSON.parse(readFileSync(join(root, 'fixtures/devices.json'), 'utf8')) as unknown;
  const devices = (Array.isArray(manifest) ? manifest : (manifest as { devices: unknown[] }).devices) as { thumbprint?: string; certificate?: string; expectedStatus?: string }[];
  const known = devices.find((d) => d.expectedStatus === 'known' && typeof d.thumbprint === 'string' && typeof d.certificate === 'string');
  if (!known) return { relyingParty: 'placeholder' };
  const device = presentation === 'certificate' ? { certificate: readFileSync(join(root, known.certificate!), 'utf8') } : { thumbprint: known.thumbprint! };
  return { relyingParty: 'placeholder', device, ...(withClaims ? { claims: USER_CLAIMS } : {}) };
}

async function post(port: number, path: string, body: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

interface Measured { requestsPerSecond: number; latencyP50Ms: number; latencyP99Ms: number; non2xx: number; errors: number; cpuMicrosPerRequest?: number }

/** The target process's CPU time so far (user + system, µs) from /proc; undefined where there is no /proc. */
function cpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name: state is 3rd, utime 14th, stime 15th (clock ticks, 100 per second on Linux).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

/** BENCH_CLIENT=wrk: Debian's wrk (C, one thread) instead of autocannon, which can be slower than the server. */
const client = process.env.BENCH_CLIENT === 'wrk' ? 'wrk' : 'autocannon';

async function loadWrk(port: number, body: string, seconds: number, pid?: number): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'dg-wrk-'));
  const script = join(dir, 'post.lua');
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["content-type"] = "application/json"\nwrk.headers["authorization"] = "Bearer ${token}"\n` +
      'done = function(summary, latency, requests)\n  io.write(string.format("JSON {\\"requests\\":%d,\\"non2xx\\":%d,\\"errors\\":%d,\\"p50\\":%f,\\"p99\\":%f}\\n", summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, latency:percentile(50) / 1000, latency:percentile(99) / 1000))\nend\n',
  );
  const cpuBefore = cpuMicros(pid);
  const output = await new Promise<string>((ok, fail) => {
    const child = spawn(pin ? 'taskset' : 'wrk', [...(pin ? ['-c', '1', 'wrk'] : []), '-t1', `-c${connections}`, `-d${seconds}s`, '-s', script, `http://127.0.0.1:${port}/v1/decisions`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', (error: NodeJS.ErrnoException) => fail(error.code === 'ENOENT' ? new Error('wrk is not installed (apt-get install wrk), or use BENCH_CLIENT=autocannon') : error));
    child.once('exit', (code) => (code === 0 ? ok(out) : fail(new Error(`wrk exited ${String(code)}${code === 127 ? ' (not installed? apt-get install wrk)' : ''}`))));
  });
  const cpuAfter = cpuMicros(pid);
  const line = output.split('\n').find((l) => l.startsWith('JSON '));
  if (!line) throw new Error(`wrk printed no summary: ${output}`);
  const r = JSON.parse(line.slice(5)) as { requests: number; non2xx: number; errors: number; p50: number; p99: number };
  return {
    requestsPerSecond: r.requests / seconds,
    latencyP50Ms: r.p50,
    latencyP99Ms: r.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    ...(cpuBefore !== undefined && cpuAfter !== undefined && r.requests > 0 ? { cpuMicrosPerRequest: (cpuAfter - cpuBefore) / r.requests } : {}),
  };
}

async function load(port: number, body: string, seconds = duration, pid?: number): Promise<Measured> {
  if (client === 'wrk') return loadWrk(port, body, seconds, pid);
  const cpuBefore = cpuMicros(pid);
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/v1/decisions`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
    connections,
    duration: seconds,
  });
  const cpuAfter = cpuMicros(pid);
  return {
    requestsPerSecond: result.requests.average,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    // CPU per request of the target alone: steadier than requests/s when other work shares the cores.
    ...(cpuBefore !== undefined && cpuAfter !== undefined && result.requests.total > 0 ? { cpuMicrosPerRequest: (cpuAfter - cpuBefore) / result.requests.total } : {}),
  };
}

async function main(): Promise<void> {
  const request = pickRequest();
  const devicegate = await startTarget('devicegate');
  const rps = await fetch(`http://127.0.0.1:${devicegate.port}/v1/relying-parties`, { headers: { authorization: `Bearer ${token}` } });
  if (rps.status !== 200) throw new Error(`GET /v1/relying-parties answered ${rps.status}: ${await rps.text()}`);
  const parties = (await rps.json()) as { relyingParties: { id: string }[] };
  request.relyingParty = process.env.BENCH_RP ?? parties.relyingParties[0]?.id ?? 'none';
  const body = JSON.stringify(request);
  const warm = await post(devicegate.port, '/v1/decisions', request);
  if (warm.status !== 200) throw new Error(`warm-up decision failed: ${warm.status} ${warm.text}`);
  for (let i = 0; i < 200; i++) await post(devicegate.port, '/v1/decisions', request);
  const dir = mkdtempSync(join(tmpdir(), 'dg-bench-'));
  const replyFile = join(dir, 'reply.json');
  writeFileSync(replyFile, warm.text);
  const bare = await startTarget('bare', replyFile);

  const runs: { bare: Measured; decision: Measured }[] = [];
  try {
    // JIT warm-up for both targets under the same load before anything is measured.
    await load(bare.port, body, warmupSeconds);
    await load(devicegate.port, body, warmupSeconds);
    for (let round = 0; round < rounds; round++) {
      // Alternate which target goes first.
      const [b, d] = round % 2 === 0
        ? [await load(bare.port, body, slice, bare.child.pid), await load(devicegate.port, body, slice, devicegate.child.pid)]
        : await load(devicegate.port, body, slice, devicegate.child.pid).then(async (dd) => [await load(bare.port, body, slice, bare.child.pid), dd] as const);
      runs.push({ bare: b, decision: d });
      process.stdout.write(
        `round ${round + 1}: bare ${b.requestsPerSecond.toFixed(0)} req/s, decision ${d.requestsPerSecond.toFixed(0)} req/s, ratio ${(d.requestsPerSecond / b.requestsPerSecond).toFixed(3)}` +
          (b.cpuMicrosPerRequest !== undefined && d.cpuMicrosPerRequest !== undefined
            ? `; CPU per request bare ${b.cpuMicrosPerRequest.toFixed(1)} µs, decision ${d.cpuMicrosPerRequest.toFixed(1)} µs\n`
            : '\n'),
      );
    }
  } finally {
    await Promise.all([stop(bare), stop(devicegate)]);
  }
  const mean = (pick: (r: (typeof runs)[number]) => number): number => runs.reduce((s, r) => s + pick(r), 0) / runs.length;
  const summary = {
    benchmark: 'http',
    date: new Date().toISOString(),
    node: process.version,
    settings: { client, pinned: pin, audit: auditToPipe ? 'pipe (as serve: stdout)' : process.env.BENCH_AUDIT, connections, durationSeconds: duration, sliceSeconds: slice, warmupSeconds, rounds, directory: directoryUrl.startsWith('ldif:') ? 'ldif' : 'ldap' },
    request: { relyingParty: request.relyingParty, device: request.device ? presentation : 'none', callerClaims: request.claims?.length ?? 0, replyBytes: warm.text.length },
    bare: { requestsPerSecond: mean((r) => r.bare.requestsPerSecond), latencyP50Ms: mean((r) => r.bare.latencyP50Ms), latencyP99Ms: mean((r) => r.bare.latencyP99Ms) },
    cachedDecision: {
      requestsPerSecond: mean((r) => r.decision.requestsPerSecond),
      latencyP50Ms: mean((r) => r.decision.latencyP50Ms),
      latencyP99Ms: mean((r) => r.decision.latencyP99Ms),
      non2xx: runs.reduce((s, r) => s + r.decision.non2xx, 0),
    },
    ratio: 0,
    medianRoundRatio: 0,
    /** bare CPU µs per request / decision CPU µs per request (what the ratio would be if each target had a core to itself). */
    cpuRatio: undefined as number | undefined,
    loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
    bar: 0.8,
    runs,
  };
  summary.ratio = summary.cachedDecision.requestsPerSecond / summary.bare.requestsPerSecond;
  const ratios = runs.map((r) => r.decision.requestsPerSecond / r.bare.requestsPerSecond).sort((a, b) => a - b);
  summary.medianRoundRatio = ratios[Math.floor(ratios.length / 2)] ?? 0;
  const cpu = (pick: (r: (typeof runs)[number]) => number | undefined): number | undefined => {
    const xs = runs.map(pick);
    return xs.every((x) => x !== undefined) ? xs.reduce((a, x) => a + x, 0) / xs.length : undefined;
  };
  const bareCpu = cpu((r) => r.bare.cpuMicrosPerRequest);
  const decisionCpu = cpu((r) => r.decision.cpuMicrosPerRequest);
  if (bareCpu !== undefined && decisionCpu !== undefined) summary.cpuRatio = bareCpu / decisionCpu;
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, `bench/results/${process.env.BENCH_RESULT_NAME ?? 'http'}.json`), `${JSON.stringify(summary, null, 2)}\n`);
  const row = (name: string, m: { requestsPerSecond: number; latencyP50Ms: number; latencyP99Ms: number }): string =>
    `${name.padEnd(24)} ${m.requestsPerSecond.toFixed(0).padStart(8)} req/s   p50 ${m.latencyP50Ms.toFixed(2)} ms   p99 ${m.latencyP99Ms.toFixed(2)} ms`;
  process.stdout.write(`${row('bare fastify route', summary.bare)}\n${row('cached POST /v1/decisions', summary.cachedDecision)}\n`);
  process.stdout.write(
    `ratio ${summary.ratio.toFixed(3)} (median per round ${summary.medianRoundRatio.toFixed(3)}; bar >= 0.8): ${summary.ratio >= 0.8 ? 'met' : 'NOT met'}; reply ${warm.text.length} bytes\n`,
  );
  if (bareCpu !== undefined && decisionCpu !== undefined) {
    process.stdout.write(`CPU per request: bare ${bareCpu.toFixed(1)} µs, decision ${decisionCpu.toFixed(1)} µs, ratio ${summary.cpuRatio!.toFixed(3)}; load average ${summary.loadAverage.join(' ')}\n`);
  }
  if (summary.cachedDecision.non2xx > 0) process.stdout.write(`warning: ${summary.cachedDecision.non2xx} non-2xx decision responses\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/http: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
});
