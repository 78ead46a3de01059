// Directory freshness and DC faults against real slapd: change tracking (cn=accesslog), per-DC
// attempt deadlines and the breaker (first DC frozen, killed and restarted), bind failures logged once.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { openDirectory, type DirectoryLogger } from '../../src/directory/index.js';
import { SLAPD_ROOT_DN, SLAPD_ROOT_PASSWORD, startSlapd, type SlapdServer } from '../harness/index.js';
import { activeFixture } from './active-fixture.js';
import { changeCases, openHarness, permittedDevice, setAttribute, until } from './change-cases.js';

const spec = activeFixture();
const servers: SlapdServer[] = [];
async function slapd(): Promise<SlapdServer> {
  const s = await startSlapd(spec.ldifPath, { serviceAccount: spec.serviceAccount });
  servers.push(s);
  return s;
}
t.teardown(async () => {
  for (const s of servers) {
    try {
      process.kill(s.pid, 'SIGCONT');
    } catch { /* gone */ }
    await s.stop();
  }
});
const admin = (s: SlapdServer) => ({ url: s.url, dn: SLAPD_ROOT_DN, password: SLAPD_ROOT_PASSWORD });

/** Resolves once every thread of `pid` is in state T (stopped), per /proc. */
async function untilStopped(pid: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const tasks = readdirSync(`/proc/${pid}/task`);
    if (tasks.every((task) => /^\d+ \(.*\) T /.test(readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8')))) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`slapd ${pid} did not stop`);
}

function capture(): DirectoryLogger & { lines: { level: string; fields: Record<string, unknown>; message: string }[] } {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  return {
    lines,
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
    error: (fields, message) => lines.push({ level: 'error', fields, message }),
  };
}

let main: SlapdServer;
t.before(async () => {
  main = await slapd();
});

changeCases(t, () => main, () => admin(main), { changePollMs: 250, boundMs: 5000 });

t.test('at defaults (poll 1 s, TTL 60 s) a disabled device is denied within 5 s', async (t) => {
  const s = await slapd();
  const h = await openHarness(s);
  t.teardown(() => h.close());
  t.match(await h.decide(), { decision: 'permit' });
  t.match(await h.decide(), { decision: 'permit', source: 'cache' });
  const record = await h.dir.find({ kind: 'deviceId', deviceId: permittedDevice().deviceId });
  await setAttribute(admin(s), record!.dn, 'msDS-IsEnabled', 'FALSE');
  const ms = await until('disable', h, (d) => d.decision === 'deny', 15_000);
  t.comment(`slapd, defaults: disabled device denied after ${Math.round(ms)} ms`);
  t.ok(ms <= 5000, `denied after ${Math.round(ms)} ms (bound 5000 ms)`);
  t.match((await h.dir.health()).changeTracking, { mode: 'accesslog', ok: true, deletions: 'accesslog' });
});

t.test('two DCs, the first frozen: no false deny, each decision within one attempt timeout plus the healthy DC', async (t) => {
  const [a, b] = [await slapd(), await slapd()];
  const attemptTimeoutMs = 800;
  const h = await openHarness(a, { urls: `${a.url},${b.url}`, ttlMs: 0, attemptTimeoutMs, changePollMs: 0 });
  t.teardown(() => h.close());
  t.match(await h.decide(), { decision: 'permit', source: 'directory' });
  await h.dir.health(); // as serve does at start: every DC probed once (a connection to each)
  process.kill(a.pid, 'SIGSTOP');
  t.teardown(() => {
    try {
      process.kill(a.pid, 'SIGCONT');
    } catch { /* gone */ }
  });
  await untilStopped(a.pid);
  const times: number[] = [];
  const outcomes: string[] = [];
  const until2s = performance.now() + 2000;
  // Four callers at once, uncached, for two seconds.
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (performance.now() < until2s) {
      const started = performance.now();
      const d = await h.decide();
      times.push(performance.now() - started);
      outcomes.push(d.decision === 'permit' ? 'permit' : `${d.decision}: ${d.status}: ${d.reason}`);
    }
  }));
  const sorted = [...times].sort((x, y) => x - y);
  const p99 = sorted[Math.floor(sorted.length * 0.99)] ?? 0;
  t.comment(`frozen first DC: ${outcomes.length} decisions, ${outcomes.filter((o) => o !== 'permit').length} not permit, p99 ${Math.round(p99)} ms, max ${Math.round(sorted.at(-1) ?? 0)} ms`);
  t.ok(outcomes.length >= 8, `${outcomes.length} decisions`);
  t.same(outcomes.filter((o) => o !== 'permit').slice(0, 3), [], `no false deny (log: ${h.log.join('; ')})`);
  // One attempt on the frozen DC plus the healthy DC's time (generous: a shared, noisy machine).
  t.ok((sorted.at(-1) ?? 0) <= attemptTimeoutMs + 1500, `slowest ${Math.round(sorted.at(-1) ?? 0)} ms <= ${attemptTimeoutMs} + 1500 ms`);
  // Normally only the calls in flight when the DC froze pay the attempt timeout (not asserted: on a
  // loaded machine the healthy DC can be slow too, and then calls wait for its first probe).
  t.comment(`slowest ten: ${sorted.slice(-10).map(Math.round).join(', ')} ms`);
  const health = await h.dir.health();
  t.match(health.servers, [{ url: a.url, ok: false, breaker: 'open' }, { url: b.url, ok: true, breaker: 'closed' }]);
  process.kill(a.pid, 'SIGCONT');
  const back = performance.now();
  while ((await h.dir.health()).servers?.[0]?.ok !== true) {
    if (performance.now() - back > 10_000) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.equal((await h.dir.health()).servers?.[0]?.ok, true, 'the thawed DC is probed back into rotation');
});

t.test('DC killed and restarted: failover, the DC comes back, then the other dies', async (t) => {
  const [a, b] = [await slapd(), await slapd()];
  const log = capture();
  const dir = await openDirectory({ url: `${a.url},${b.url}`, bindDn: a.bindDn, password: a.password, changePollMs: 0, attemptTimeoutMs: 1000, logger: log });
  t.teardown(() => dir.close());
  const id = permittedDevice().deviceId;
  t.ok(await dir.find({ kind: 'deviceId', deviceId: id }));
  await a.stopHard();
  for (let i = 0; i < 10; i++) t.ok(await dir.find({ kind: 'deviceId', deviceId: id }), `look-up ${i} answered by the second DC`);
  t.match(log.lines.filter((l) => l.level === 'warn'), [{ fields: { dc: a.url }, message: /down.*failing over/ }], 'one warning naming the DC');
  await a.restart();
  const started = performance.now();
  while (!(await dir.health()).servers?.[0]?.ok && performance.now() - started < 10_000) await new Promise((r) => setTimeout(r, 100));
  t.equal((await dir.health()).servers?.[0]?.ok, true, 'restarted DC back in rotation');
  t.match(log.lines.at(-1), { level: 'info', fields: { dc: a.url }, message: /back in rotation/ });
  await b.stopHard();
  for (let i = 0; i < 5; i++) t.ok(await dir.find({ kind: 'deviceId', deviceId: id }), `look-up ${i} answered by the restarted first DC`);
});

t.test('every DC down: requests fail at once instead of waiting the budget', async (t) => {
  const a = await slapd();
  const dir = await openDirectory({ url: a.url, bindDn: a.bindDn, password: a.password, changePollMs: 0, timeoutMs: 5000, attemptTimeoutMs: 1000 });
  t.teardown(() => dir.close());
  const id = permittedDevice().deviceId;
  t.ok(await dir.find({ kind: 'deviceId', deviceId: id }));
  process.kill(a.pid, 'SIGSTOP');
  t.teardown(() => {
    try {
      process.kill(a.pid, 'SIGCONT');
    } catch { /* gone */ }
  });
  await untilStopped(a.pid);
  await t.rejects(dir.find({ kind: 'deviceId', deviceId: id }), { code: 'DG_ERR_DIRECTORY_TIMEOUT' }, 'the first costs one attempt');
  const started = performance.now();
  for (let i = 0; i < 5; i++) await t.rejects(dir.find({ kind: 'deviceId', deviceId: id }), { code: 'DG_ERR_DIRECTORY_TIMEOUT', message: /out of rotation/ });
  t.ok(performance.now() - started < 1000, `five more failed in ${Math.round(performance.now() - started)} ms`);
});

t.test('wrong bind password: one clear error line naming the DC, never the password', async (t) => {
  const password = 'Wr0ng-Secret-Value!';
  const log = capture();
  const dir = await openDirectory({ url: main.url, bindDn: main.bindDn, password, changePollMs: 0, logger: log });
  t.teardown(() => dir.close());
  await dir.health(); // what serve does at start
  for (let i = 0; i < 10; i++) await t.rejects(dir.find({ kind: 'deviceId', deviceId: permittedDevice().deviceId }), { code: 'DG_ERR_DIRECTORY_BIND' });
  const errors = log.lines.filter((l) => l.level === 'error');
  t.equal(errors.length, 1, 'logged once');
  t.match(errors[0], { fields: { dc: main.url, code: 'DG_ERR_DIRECTORY_BIND', reason: /invalid credentials/ }, message: /bind refused/ });
  t.notOk(JSON.stringify(log.lines).includes(password), 'password not logged');
});

t.test('/metrics: per-DC up, latency and errors; change-tracking state and the age of the last change', async (t) => {
  const { ServerMetrics } = await import('../../src/server/index.js');
  const { freePort } = await import('../harness/index.js');
  const dead = `ldap://127.0.0.1:${await freePort()}`;
  const h = await openHarness(main, { urls: `${dead},${main.url}`, changePollMs: 100, device: "Alice's Surface Laptop" });
  t.teardown(() => h.close());
  const metrics = new ServerMetrics();
  metrics.attachSources({ directory: h.dir });
  t.match(await h.decide(), { decision: 'permit' });
  const dn = (await h.dir.find({ kind: 'deviceId', deviceId: permittedDevice("Alice's Surface Laptop").deviceId }))!.dn;
  await setAttribute(admin(main), dn, 'msDS-DeviceOSVersion', '10.0.22631.9999');
  await until('change seen', h, () => (h.dir as unknown as { changes: { changesSeen: number } }).changes.changesSeen > 0, 10_000);
  const text = await metrics.registry.metrics();
  t.match(text, new RegExp(`devicegate_ldap_server_up\\{server="${dead}"\\} 0`));
  t.match(text, new RegExp(`devicegate_ldap_server_up\\{server="${main.url}"\\} 1`));
  t.match(text, new RegExp(`devicegate_ldap_server_errors_total\\{server="${dead}"\\} [1-9]`));
  t.match(text, new RegExp(`devicegate_ldap_server_latency_seconds\\{server="${main.url}"\\} \\d`));
  t.match(text, /devicegate_directory_change_tracking_up 1\b/);
  t.match(text, /devicegate_directory_last_change_age_seconds \d/);
  t.notMatch(text, new RegExp(main.password), 'no password in the exposition');
});

t.test('change tracking that fails is logged once, answers live at most their TTL, and the cache is dropped when it resumes', async (t) => {
  const s = await slapd();
  const h = await openHarness(s, { changePollMs: 100 });
  t.teardown(() => h.close());
  t.match(await h.decide(), { decision: 'permit' });
  const started = performance.now();
  while (((h.dir.changes as unknown as { polls: number }).polls ?? 0) < 2 && performance.now() - started < 10_000) await new Promise((r) => setTimeout(r, 50));
  await s.stopHard();
  await new Promise((r) => setTimeout(r, 600));
  t.match((await h.dir.health()).changeTracking, { ok: false }, 'tracking reports the failure');
  t.equal(h.log.filter((l) => l.startsWith('warn change tracking failed')).length, 1, 'logged once');
  t.equal((await h.decide()).decision, 'permit', 'the cached answer stands within its TTL');
  await s.restart();
  const back = performance.now();
  while (!h.log.some((l) => l.includes('change tracking resumed')) && performance.now() - back < 10_000) await new Promise((r) => setTimeout(r, 50));
  t.ok(h.log.some((l) => l.startsWith('info change tracking resumed')), 'resumption logged');
  t.equal(h.engine.directory.size, 0, 'the cache was dropped (changes may have been missed)');
  t.match(await h.decide(), { decision: 'permit', source: 'directory' });
});

t.test('the only DC stalls for a moment (just over one attempt): look-ups wait for its first probe instead of failing', async (t) => {
  const s = await slapd();
  const dir = await openDirectory({ url: s.url, bindDn: s.bindDn, password: s.password, changePollMs: 0, timeoutMs: 5000, attemptTimeoutMs: 500 });
  t.teardown(() => dir.close());
  const id = permittedDevice().deviceId;
  t.ok(await dir.find({ kind: 'deviceId', deviceId: id }));
  const failures: string[] = [];
  let ok = 0;
  let running = true;
  const load = Promise.all(Array.from({ length: 4 }, async () => {
    while (running) {
      await dir.find({ kind: 'deviceId', deviceId: id }).then(() => ok++, (e: Error) => failures.push(e.message));
      await new Promise((r) => setTimeout(r, 10));
    }
  }));
  await new Promise((r) => setTimeout(r, 200));
  process.kill(s.pid, 'SIGSTOP');
  await untilStopped(s.pid);
  await new Promise((r) => setTimeout(r, 650));
  process.kill(s.pid, 'SIGCONT');
  await new Promise((r) => setTimeout(r, 1000));
  running = false;
  await load;
  t.same(failures.slice(0, 3), [], `no failed look-up (${ok} answered)`);
  t.ok(ok > 20);
});
