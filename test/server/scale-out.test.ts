// Scale-out: two devicegate replicas behind a real HAProxy (Debian's package) under load. One
// replica is killed and restarted: no failed decision (the balancer retries what was in flight on
// it). A device disabled in the directory then loses access on both replicas within the bound.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { findBinary, freePort, SLAPD_ROOT_DN, SLAPD_ROOT_PASSWORD, startDaemon, startSlapd, type Daemon, type SlapdServer } from '../harness/index.js';
import { activeFixture } from '../directory/active-fixture.js';
import { permittedDevice, setAttribute } from '../directory/change-cases.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'scale-out-test-token';
const spec = activeFixture();
const { thumbprint, deviceId } = permittedDevice();
const BODY = JSON.stringify({ relyingParty: 'https://payroll.contoso.com/', device: { thumbprint } });

interface Replica {
  readonly child: ChildProcess;
  readonly port: number;
}

let slapd: SlapdServer;
const children = new Set<ChildProcess>();
t.teardown(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await slapd?.stop();
});

async function startReplica(port: number): Promise<Replica> {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    DEVICEGATE_API_TOKENS: `sha256:${createHash('sha256').update(TOKEN).digest('hex')}`,
    DEVICEGATE_LDAP_BIND_DN: slapd.bindDn,
    DEVICEGATE_LDAP_PASSWORD: slapd.password,
  };
  // Defaults everywhere (cache TTL 60 s, change poll 1 s): the bound is met at defaults.
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--port', String(port), '--directory', slapd.url, '--log-level', 'warn'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => [`exited: ${stderr}`])])) as [string];
  if (!line.startsWith('devicegate listening')) throw new Error(`replica did not start: ${line}`);
  return { child, port };
}

async function decide(url: string): Promise<{ status: number; decision?: string; server?: string }> {
  try {
    const res = await fetch(`${url}/v1/decisions`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: BODY });
    const body = (await res.json().catch(() => ({}))) as { decision?: string };
    return { status: res.status, ...(body.decision ? { decision: body.decision } : {}), ...(res.headers.get('x-served-by') ? { server: res.headers.get('x-served-by')! } : {}) };
  } catch (error) {
    return { status: 0, decision: (error as Error).message };
  }
}

function haproxyConfig(port: number, replicas: readonly number[]): string {
  return `global
  maxconn 512
defaults
  mode http
  timeout connect 1s
  timeout client 10s
  timeout server 10s
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response response-timeout
frontend devicegate
  bind 127.0.0.1:${port}
  default_backend devicegate
backend devicegate
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 500ms fall 2 rise 2
  http-response set-header x-served-by %s
${replicas.map((p, i) => `  server r${i} 127.0.0.1:${p} check`).join('\n')}
`;
}

t.test('two replicas behind HAProxy: one killed and restarted under load, no failed decision; a disabled device loses access on both', async (t) => {
  slapd = await startSlapd(spec.ldifPath, { serviceAccount: spec.serviceAccount });
  const [pa, pb, pf] = [await freePort(), await freePort(), await freePort()];
  let a = await startReplica(pa);
  await startReplica(pb);
  const dir = mkdtempSync(join(tmpdir(), 'dg-haproxy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, haproxyConfig(pf, [pa, pb]));
  const haproxy: Daemon = startDaemon(findBinary('haproxy', 'haproxy'), ['-db', '-f', cfg]);
  t.teardown(() => haproxy.stop());
  const front = `http://127.0.0.1:${pf}`;
  // Both replicas in rotation (health checks passed) before the load starts.
  const seen = new Set<string>();
  for (let i = 0; i < 200 && seen.size < 2; i++) {
    const r = await decide(front);
    if (r.status === 200 && r.server) seen.add(r.server);
    else await new Promise((res) => setTimeout(res, 100));
  }
  t.equal(seen.size, 2, `both replicas answer through HAProxy (${[...seen].join(', ')})`);

  const results: { status: number; decision?: string; server?: string }[] = [];
  let running = true;
  const load = Promise.all(Array.from({ length: 4 }, async () => {
    while (running) results.push(await decide(front));
  }));
  await new Promise((res) => setTimeout(res, 1000));
  const beforeKill = results.length;
  a.child.kill('SIGKILL');
  await once(a.child, 'exit');
  await new Promise((res) => setTimeout(res, 1500));
  a = await startReplica(pa);
  const restartedAt = results.length;
  // Until the restarted replica is back in rotation and answering (HAProxy: rise 2 x 500 ms).
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !results.slice(restartedAt).some((r) => r.server === 'r0')) await new Promise((res) => setTimeout(res, 100));
  await new Promise((res) => setTimeout(res, 500));
  running = false;
  await load;
  const failed = results.filter((r) => r.status !== 200 || r.decision !== 'permit');
  t.comment(`${results.length} decisions through HAProxy (${beforeKill} before the kill); failed: ${failed.length}; served by r0 after restart: ${results.slice(restartedAt).filter((r) => r.server === 'r0').length}`);
  t.ok(results.length > beforeKill + 20, 'the load went on through the kill');
  t.same(failed.slice(0, 5), [], 'no failed decision');
  t.ok(results.slice(restartedAt).some((r) => r.server === 'r0'), 'the restarted replica is back in rotation');

  // Both replicas hold a cached permit now; disable the device in the directory.
  const replicas = [`http://127.0.0.1:${pa}`, `http://127.0.0.1:${pb}`];
  for (const url of replicas) t.match(await decide(url), { status: 200, decision: 'permit' });
  const dn = `CN=${deviceId},CN=RegisteredDevices,DC=contoso,DC=com`; // as fixtures/contoso.ldif writes it
  await setAttribute({ url: slapd.url, dn: SLAPD_ROOT_DN, password: SLAPD_ROOT_PASSWORD }, dn, 'msDS-IsEnabled', 'FALSE');
  const started = performance.now();
  const times = await Promise.all(replicas.map(async (url) => {
    while (performance.now() - started < 15_000) {
      const r = await decide(url);
      if (r.status === 200 && r.decision === 'deny') return performance.now() - started;
      await new Promise((res) => setTimeout(res, 50));
    }
    return Infinity;
  }));
  t.comment(`disabled device denied after ${times.map(Math.round).join(' / ')} ms on the two replicas (defaults)`);
  for (const [i, ms] of times.entries()) t.ok(ms <= 5000, `replica ${i}: denied after ${Math.round(ms)} ms (bound 5000 ms)`);
});
