// Directory freshness against a real Samba AD DC: change tracking by uSNChanged (deletions through
// the Show Deleted control), a hung first DC, bind failures logged once.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { openDirectory, type DirectoryLogger } from '../../src/directory/index.js';
import { startSambaDc, startSilentServer, type SambaServer } from '../harness/index.js';
import { SAMBA_ADMIN_PASSWORD } from '../harness/start-samba-dc.js';
import { activeFixture } from './active-fixture.js';
import { changeCases, openHarness, permittedDevice, setAttribute, until, withAdmin } from './change-cases.js';

const spec = activeFixture();
let server: SambaServer;
t.before(async () => {
  server = await startSambaDc(spec.ldifPath, spec.serviceAccount);
});
t.teardown(() => server?.stop());
/** Resolves once every thread of `pid` is in state T (stopped), per /proc. */
async function untilStopped(pid: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const tasks = readdirSync(`/proc/${pid}/task`);
    if (tasks.every((task) => /^\d+ \(.*\) T /.test(readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8')))) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`samba ${pid} did not stop`);
}
const admin = () => ({ url: server.url, dn: 'CN=Administrator,CN=Users,DC=contoso,DC=com', password: SAMBA_ADMIN_PASSWORD });

t.test('at defaults (poll 1 s, TTL 60 s) a disabled device is denied within 5 s', async (t) => {
  const h = await openHarness(server);
  t.teardown(() => h.close());
  t.match(await h.decide(), { decision: 'permit' });
  t.match(await h.decide(), { decision: 'permit', source: 'cache' });
  const dn = (await h.dir.find({ kind: 'deviceId', deviceId: permittedDevice().deviceId }))!.dn;
  await setAttribute(admin(), dn, 'msDS-IsEnabled', 'FALSE');
  const ms = await until('disable', h, (d) => d.decision === 'deny', 15_000);
  t.comment(`Samba, defaults: disabled device denied after ${Math.round(ms)} ms`);
  t.ok(ms <= 5000, `denied after ${Math.round(ms)} ms (bound 5000 ms)`);
  t.match((await h.dir.health()).changeTracking, { mode: 'usn', ok: true, deletions: 'presence' });
  await setAttribute(admin(), dn, 'msDS-IsEnabled', 'TRUE');
  await until('disable', h, (d) => d.decision === 'permit', 15_000);
});

t.test('two Samba DCs, the first frozen (SIGSTOP): no false deny, each decision within one attempt timeout plus the healthy DC', async (t) => {
  const first = await startSambaDc(spec.ldifPath, spec.serviceAccount);
  t.teardown(async () => {
    try {
      process.kill(first.pid, 'SIGCONT');
    } catch { /* gone */ }
    await first.stop();
  });
  const attemptTimeoutMs = 1000;
  const h = await openHarness(server, { urls: `${first.url},${server.url}`, ttlMs: 0, attemptTimeoutMs, changePollMs: 0 });
  t.teardown(() => h.close());
  t.match(await h.decide(), { decision: 'permit', source: 'directory' });
  process.kill(first.pid, 'SIGSTOP');
  await untilStopped(first.pid);
  const times: number[] = [];
  const outcomes: string[] = [];
  const stop = performance.now() + 2000;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (performance.now() < stop) {
      const started = performance.now();
      const d = await h.decide();
      times.push(performance.now() - started);
      outcomes.push(d.decision === 'permit' ? 'permit' : `${d.decision}: ${d.status}: ${d.reason}`);
    }
  }));
  const sorted = [...times].sort((a, b) => a - b);
  t.comment(`frozen first Samba DC: ${outcomes.length} decisions, p99 ${Math.round(sorted[Math.floor(sorted.length * 0.99)] ?? 0)} ms, max ${Math.round(sorted.at(-1) ?? 0)} ms`);
  t.ok(outcomes.length >= 8);
  t.same(outcomes.filter((o) => o !== 'permit').slice(0, 3), [], `no false deny (log: ${h.log.join('; ')})`);
  t.ok((sorted.at(-1) ?? 0) <= attemptTimeoutMs + 1500, `slowest ${Math.round(sorted.at(-1) ?? 0)} ms`);
  t.match((await h.dir.health()).servers, [{ url: first.url, ok: false, breaker: 'open' }, { url: server.url, ok: true }]);
});

t.test('a hung first DC: no false deny, each decision within one attempt timeout plus Samba', async (t) => {
  const silent = await startSilentServer();
  t.teardown(() => silent.close());
  const attemptTimeoutMs = 1000;
  const h = await openHarness(server, { urls: `${silent.url},${server.url}`, ttlMs: 0, attemptTimeoutMs, changePollMs: 0 });
  t.teardown(() => h.close());
  const warm = performance.now();
  t.match(await h.decide(), { decision: 'permit' }, 'the first decision pays one attempt on the hung DC, then Samba answers');
  t.ok(performance.now() - warm <= attemptTimeoutMs + 2000, `first decision after ${Math.round(performance.now() - warm)} ms`);
  const times: number[] = [];
  const outcomes: string[] = [];
  const stop = performance.now() + 1500;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (performance.now() < stop) {
      const started = performance.now();
      const d = await h.decide();
      outcomes.push(d.decision === 'permit' ? 'permit' : `${d.decision}: ${d.status}: ${d.reason}`);
      times.push(performance.now() - started);
    }
  }));
  const max = Math.max(...times);
  t.comment(`hung first DC (Samba second): ${outcomes.length} decisions, max ${Math.round(max)} ms`);
  t.ok(outcomes.length >= 8);
  t.same(outcomes.filter((o) => o !== 'permit').slice(0, 3), [], `no false deny (log: ${h.log.join('; ')})`);
  t.ok(max <= attemptTimeoutMs + 1500, `slowest ${Math.round(max)} ms`);
});

changeCases(t, () => server, admin, { changePollMs: 250, boundMs: 5000 });

t.test('an account allowed to read tombstones sees deletions through Show Deleted', async (t) => {
  const device = "Alice's Surface Laptop";
  const h = await openHarness({ url: server.url, bindDn: admin().dn, password: admin().password }, { device, changePollMs: 250 });
  t.teardown(() => h.close());
  t.match(await h.decide(), { decision: 'permit' });
  t.match(await h.decide(), { decision: 'permit', source: 'cache' });
  const dn = (await h.dir.find({ kind: 'deviceId', deviceId: permittedDevice(device).deviceId }))!.dn;
  await withAdmin(admin(), (c) => c.del(dn));
  const ms = await until('delete', h, (d) => d.decision === 'deny' && d.status === 'unknown', 10_000);
  t.ok(ms <= 5000, `deleted device denied after ${Math.round(ms)} ms`);
  t.match((await h.dir.health()).changeTracking, { mode: 'usn', ok: true, deletions: 'tombstones' });
});

t.test('wrong bind password: one clear error line, never the password', async (t) => {
  const password = 'Wr0ng-Secret-Value!';
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const log: DirectoryLogger = {
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
    error: (fields, message) => lines.push({ level: 'error', fields, message }),
  };
  const dir = await openDirectory({ url: server.url, bindDn: server.bindDn, password, changePollMs: 0, logger: log });
  t.teardown(() => dir.close());
  await dir.health();
  for (let i = 0; i < 5; i++) await t.rejects(dir.find({ kind: 'deviceId', deviceId: permittedDevice().deviceId }), { code: 'DG_ERR_DIRECTORY_BIND' });
  const errors = lines.filter((l) => l.level === 'error');
  t.equal(errors.length, 1, 'logged once');
  t.match(errors[0], { fields: { dc: server.url, code: 'DG_ERR_DIRECTORY_BIND' }, message: /bind refused/ });
  t.notOk(JSON.stringify(lines).includes(password));
});
