import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { LdapDirectory, type DeviceDirectory } from '../../src/directory/index.js';
import { startSlapd, type SlapdServer } from '../harness/index.js';
import { activeFixture } from './active-fixture.js';
import { directoryCases } from './directory-cases.js';
import { ldapFailureCases, openLive } from './ldap-failures.js';

const spec = activeFixture();
let server: SlapdServer | undefined;
let dir: DeviceDirectory | undefined;

t.before(async () => {
  server = await startSlapd(spec.ldifPath, { serviceAccount: spec.serviceAccount });
  dir = await openLive(server);
});
t.teardown(async () => {
  await dir?.close();
  await server?.stop();
});

directoryCases(t, () => dir!, spec, { serverMetadata: false, fixtureSids: true });
ldapFailureCases(t, () => server!, spec);

t.test('RootDSE discovery: slapd has no defaultNamingContext, so the first namingContexts is used', async (t) => {
  t.match(dir!.description, /base CN=RegisteredDevices,DC=contoso,DC=com$/i);
  t.same(await dir!.issuerCertificates().then((c) => c.length), spec.issuerCertificateCount, 'DRS object under CN=Configuration,<domain>');
});

t.test('device-ID filter carries the 16 bytes escaped', async (t) => {
  t.equal(
    LdapDirectory.queryFilter({ kind: 'deviceId', deviceId: '00166477-081e-4bc4-b2f2-468326ef9428' }),
    '(&(objectClass=msDS-Device)(msDS-DeviceID=\\77\\64\\16\\00\\1e\\08\\c4\\4b\\b2\\f2\\46\\83\\26\\ef\\94\\28))',
  );
  t.equal(LdapDirectory.queryFilter({ kind: 'thumbprint', thumbprint: '*' }), undefined, 'never a bare prefix search');
});

t.test('concurrent look-ups share the pool', async (t) => {
  const before = dir!.stats.searches;
  const ids = spec.devices.map((d) => d.deviceId);
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => dir!.find({ kind: 'deviceId', deviceId: ids[i % ids.length]! })));
  t.same(results.map((r) => r?.deviceId), Array.from({ length: 200 }, (_, i) => ids[i % ids.length]));
  t.equal(dir!.stats.searches - before, 200);
  const health = await dir!.health();
  t.equal(health.ok, true);
  t.ok((health.servers?.[0]?.connections ?? 0) <= 2, 'no more than poolSize connections');
});

/** Resolves once every thread of `pid` is in state T (stopped), per /proc. */
async function untilStopped(pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const tasks = readdirSync(`/proc/${pid}/task`);
    if (tasks.every((task) => /^\d+ \(.*\) T /.test(readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8')))) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`slapd ${pid} did not stop`);
}

t.test('a DC stopped while a search is in flight rejects, never hangs', async (t) => {
  const victim = await startSlapd(spec.ldifPath, { serviceAccount: spec.serviceAccount });
  t.teardown(() => victim.stop());
  const d = await openLive(victim, { timeoutMs: 4000 });
  t.teardown(() => d.close());
  t.ok(await d.find({ kind: 'deviceId', deviceId: spec.devices[0]!.deviceId }), 'warm connection');
  process.kill(victim.pid, 'SIGSTOP'); // freeze: the next search is sent and waits
  await untilStopped(victim.pid); // kill() only queues the signal: on a busy machine slapd could still answer
  const started = Date.now();
  const pending = d.find({ kind: 'deviceId', deviceId: spec.devices[0]!.deviceId });
  setTimeout(() => void victim.stopHard(), 150); // then the DC dies mid-search
  await t.rejects(pending, { code: 'DG_ERR_DIRECTORY_UNAVAILABLE' });
  t.ok(Date.now() - started < 4000, `rejected after ${Date.now() - started} ms, before the 4000 ms timeout`);
  await t.rejects(d.find({ kind: 'deviceId', deviceId: spec.devices[0]!.deviceId }), { code: 'DG_ERR_DIRECTORY_UNAVAILABLE' }, 'later look-ups fail fast too');
});
