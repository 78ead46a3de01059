// Samba AD DC backend cases (each Samba instance gets a loopback address of its own).
import t from 'tap';
import { openDirectory, type DeviceDirectory } from '../../src/directory/index.js';
import { startSambaDc, type SambaServer } from '../harness/index.js';
import { activeFixture } from './active-fixture.js';
import { directoryCases } from './directory-cases.js';
import { ldapFailureCases, openLive } from './ldap-failures.js';

const spec = activeFixture();
let server: SambaServer | undefined;
let dir: DeviceDirectory | undefined;

t.before(async () => {
  server = await startSambaDc(spec.ldifPath, spec.serviceAccount);
  dir = await openLive(server);
});
t.teardown(async () => {
  await dir?.close();
  await server?.stop();
});

// Samba differences: server-made objectGUID/whenCreated/whenChanged; user SIDs are Samba's own.
directoryCases(t, () => dir!, spec, { serverMetadata: true, fixtureSids: false });
ldapFailureCases(t, () => server!, spec);

t.test('RootDSE discovery uses defaultNamingContext and configurationNamingContext', async (t) => {
  t.match(dir!.description, /base CN=RegisteredDevices,DC=contoso,DC=com$/i);
  t.equal((await dir!.issuerCertificates()).length, spec.issuerCertificateCount);
});

t.test('TLS: certificate checks are on by default; opt-out and StartTLS work', async (t) => {
  const id = spec.devices[0]!.deviceId;
  const strict = await openDirectory({ url: server!.ldapsUrl, bindDn: server!.bindDn, password: server!.password, timeoutMs: 3000 });
  t.teardown(() => strict.close());
  await t.rejects(strict.find({ kind: 'deviceId', deviceId: id }), { code: 'DG_ERR_DIRECTORY_TLS' }, "Samba's self-signed certificate is refused");
  const insecure = await openDirectory({ url: server!.ldapsUrl, bindDn: server!.bindDn, password: server!.password, tlsInsecure: true, timeoutMs: 3000 });
  t.teardown(() => insecure.close());
  t.equal((await insecure.find({ kind: 'deviceId', deviceId: id }))?.deviceId, id, 'ldaps:// with --tls-insecure');
  const startTls = await openDirectory({ url: server!.url, bindDn: server!.bindDn, password: server!.password, startTls: true, tlsInsecure: true, timeoutMs: 3000 });
  t.teardown(() => startTls.close());
  t.equal((await startTls.find({ kind: 'deviceId', deviceId: id }))?.deviceId, id, 'StartTLS with --tls-insecure');
});

t.test('anonymous search is refused by AD', async (t) => {
  const anon = await openDirectory({ url: server!.url, timeoutMs: 3000 });
  t.teardown(() => anon.close());
  await t.rejects(anon.find({ kind: 'deviceId', deviceId: spec.devices[0]!.deviceId }), { code: 'DG_ERR_DIRECTORY_SEARCH' });
});
