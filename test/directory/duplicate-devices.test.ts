// Two device objects for one key (AD does not stop a duplicated altSecurityIdentities or msDS-DeviceID):
// the look-up reports both DNs, the device is `ambiguous` (no device claims) and a warning names both.
// The second object is derived from the generated fixture (a copy of hybrid-compliant under another CN),
// in the LDIF backend and in a real slapd.
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLdifDirectory, type DeviceDirectory, type DeviceQuery } from '../../src/directory/index.js';
import { createDecisionEngine } from '../../src/policy/index.js';
import { readFixture, startSlapd, writeLdif, type LdifRecord } from '../harness/index.js';
import { activeFixture } from './active-fixture.js';
import { openLive } from './ldap-failures.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const LDIF = join(ROOT, 'fixtures/contoso.ldif');
const RULES = join(ROOT, 'rules');
const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/devices.json'), 'utf8')) as {
  referenceTime: string;
  devices: { slug: string; deviceId: string; thumbprint: string; key: string; certificate: string }[];
};
const device = manifest.devices.find((d) => d.slug === 'hybrid-compliant')!;
const spec = activeFixture();

/** hybrid-compliant's object, copied under another CN (same keys, same msDS-DeviceID). */
function duplicateRecord(): LdifRecord {
  const original = readFixture(readFileSync(LDIF, 'utf8'), LDIF).find((r) => r.dn.toLowerCase().startsWith(`cn=${device.deviceId},`))!;
  const cn = `duplicate-${device.deviceId}`;
  const attributes = new Map([...original.attributes].map(([k, v]) => [k, k.toLowerCase() === 'cn' ? [cn] : v] as const));
  return { dn: `CN=${cn}${original.dn.slice(original.dn.indexOf(','))}`, attributes };
}

const QUERIES: [string, DeviceQuery][] = [
  ['certificate key', { kind: 'key', key: device.key, thumbprint: device.thumbprint }],
  ['thumbprint', { kind: 'thumbprint', thumbprint: device.thumbprint }],
  ['device ID', { kind: 'deviceId', deviceId: device.deviceId }],
];

async function checkDirectory(t: Test, directory: DeviceDirectory, duplicateDn: string): Promise<void> {
  for (const [name, query] of QUERIES) {
    const record = await directory.find(query);
    t.ok(record, `${name}: found`);
    const dns = [record!.dn, ...(record!.duplicates ?? [])].map((dn) => dn.toLowerCase()).sort();
    t.equal(dns.length, 2, `${name}: both objects reported`);
    t.ok(dns.includes(duplicateDn.toLowerCase()), `${name}: the duplicate's DN`);
  }
  const warnings: string[] = [];
  const logger = { warn: (m: string) => warnings.push(m), info: () => undefined, error: () => undefined };
  const engine = await createDecisionEngine({ rulesDir: RULES, directory, now: () => new Date(manifest.referenceTime), logger });
  t.teardown(() => engine.close());
  const d = await engine.decide({ relyingParty: 'https://payroll.contoso.com/', device: { certificate: readFileSync(join(ROOT, device.certificate), 'utf8') }, explain: true });
  t.match(d, { decision: 'deny', device: { status: 'ambiguous', proof: 'certificate' } });
  t.notOk(d.device.id, 'no attributes of either object are shown as the device');
  t.notOk(d.trace?.find((e) => e.stage === 'device')?.produced, 'no device claims');
  const warning = warnings.find((w) => /ambiguous/.test(w));
  t.ok(warning, 'a warning');
  t.ok(warning!.toLowerCase().includes(duplicateDn.toLowerCase()) && warning!.toLowerCase().includes(`cn=${device.deviceId},`), 'naming both DNs');
}

t.test('LDIF backend', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dg-dup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const duplicate = duplicateRecord();
  const file = join(dir, 'contoso-dup.ldif');
  writeFileSync(file, `${readFileSync(LDIF, 'utf8').trimEnd()}\n\n${writeLdif([duplicate])}`);
  const directory = await openLdifDirectory(file);
  t.teardown(() => directory.close());
  await checkDirectory(t, directory, duplicate.dn);
  const single = await openLdifDirectory(LDIF);
  t.teardown(() => single.close());
  t.equal((await single.find(QUERIES[0]![1]))?.duplicates, undefined, 'one object: no duplicates');
});

t.test('LDAP backend (slapd)', async (t) => {
  const duplicate = duplicateRecord();
  const server = await startSlapd(spec.ldifPath, { serviceAccount: spec.serviceAccount, extra: [duplicate] });
  t.teardown(() => server.stop());
  const directory = await openLive(server);
  t.teardown(() => directory.close());
  await checkDirectory(t, directory, duplicate.dn);
});

t.test('LDIF attribute search past its size limit is an error, never a partial list', async (t) => {
  const directory = await openLdifDirectory(LDIF);
  t.teardown(() => directory.close());
  const all = await directory.searchAttributes('(objectClass=*)', ['distinguishedName']);
  t.ok(all.length > 2);
  t.equal((await directory.searchAttributes('(objectClass=*)', ['distinguishedName'], all.length)).length, all.length, 'exactly at the limit: fine');
  await t.rejects(directory.searchAttributes('(objectClass=*)', ['distinguishedName'], all.length - 1), { code: 'DG_ERR_DIRECTORY_SIZE_LIMIT' });
});

t.test('LDAP attribute search past its size limit is an error (slapd)', async (t) => {
  const server = await startSlapd(spec.ldifPath, { serviceAccount: spec.serviceAccount });
  t.teardown(() => server.stop());
  const directory = await openLive(server);
  t.teardown(() => directory.close());
  const all = await directory.searchAttributes('(objectClass=user)', ['distinguishedName']);
  t.ok(all.length > 1, `${all.length} users`);
  await t.rejects(directory.searchAttributes('(objectClass=user)', ['distinguishedName'], 1), { code: 'DG_ERR_DIRECTORY_SIZE_LIMIT' });
});
