// The one directory case table, run against every backend (LDIF, slapd, Samba AD DC).
import type { Test } from 'tap';
import { SHA1_TP_PUBKEY_PREFIX, escapeFilterValue, type DeviceDirectory, type DeviceRecord } from '../../src/directory/index.js';

export interface FixtureDevice {
  readonly deviceId: string;
  readonly keys: readonly string[];
  /** Decoded fields that must be present with these values. */
  readonly expect: Partial<DeviceRecord>;
  /** Fields that must be absent (absent in the directory stays absent). */
  readonly absent?: readonly (keyof DeviceRecord)[];
}

export interface FixtureSpec {
  readonly ldifPath: string;
  readonly devices: readonly FixtureDevice[];
  readonly rejoinedDeviceId: string;
  readonly user: { readonly sAMAccountName: string; readonly sid: string; readonly upn: string };
  readonly issuerCertificateCount: number;
  readonly serviceAccount: { readonly dn: string; readonly password: string };
}

/** Documented differences a backend may show. */
export interface BackendQuirks {
  /** Samba/AD add objectGUID, whenCreated, whenChanged. */
  readonly serverMetadata: boolean;
  /** False on Samba: users are created by the server, so their SIDs are not the fixture's. */
  readonly fixtureSids: boolean;
}

export const thumbprintOf = (key: string): string => key.slice(SHA1_TP_PUBKEY_PREFIX.length, SHA1_TP_PUBKEY_PREFIX.length + 40).toUpperCase();

const INJECTION = ['*', '*)(objectClass=*', ')(', '\\', '\0', '\\2a', 'X509:<SHA1-TP-PUBKEY>*', '*)(|(cn=*'];

export function directoryCases(t: Test, dir: () => DeviceDirectory, spec: FixtureSpec, quirks: BackendQuirks): void {
  t.test('finds every fixture device by key, thumbprint and device ID', async (t) => {
    for (const device of spec.devices) {
      for (const key of device.keys) {
        const byKey = await dir().find({ kind: 'key', key, thumbprint: thumbprintOf(key) });
        t.equal(byKey?.deviceId, device.deviceId, `key ${key.slice(21, 33)}...`);
        t.ok(byKey?.altSecurityIdentities.includes(key), 'the key is among altSecurityIdentities');
        const byTp = await dir().find({ kind: 'thumbprint', thumbprint: thumbprintOf(key) });
        t.equal(byTp?.deviceId, device.deviceId, `thumbprint ${thumbprintOf(key)}`);
      }
      const byId = await dir().find({ kind: 'deviceId', deviceId: device.deviceId });
      t.equal(byId?.deviceId, device.deviceId, `device ID ${device.deviceId}`);
      t.equal(byId?.cn?.toLowerCase(), device.deviceId, 'cn is the device ID');
    }
  });

  t.test('sampleDevices: every device object, decoded, bounded by the limit (load-test populations)', async (t) => {
    const sample = dir().sampleDevices;
    t.ok(sample, 'the backend offers sampleDevices');
    if (!sample) return;
    const all = await dir().sampleDevices!(10_000);
    t.same(new Set(all.map((d) => d.deviceId)), new Set(spec.devices.map((d) => d.deviceId)), 'exactly the fixture devices');
    t.equal((await dir().sampleDevices!(2)).length, 2, 'no more than asked');
  });

  t.test('key lookup is case-insensitive, as in AD', async (t) => {
    const key = spec.devices[0]!.keys[0]!;
    const found = await dir().find({ kind: 'key', key: key.toLowerCase(), thumbprint: thumbprintOf(key) });
    t.equal(found?.deviceId, spec.devices[0]!.deviceId);
  });

  t.test('the re-joined device is found by either key', async (t) => {
    const device = spec.devices.find((d) => d.deviceId === spec.rejoinedDeviceId)!;
    t.ok(device.keys.length >= 2, 'fixture has two keys');
    for (const key of device.keys) {
      const found = await dir().find({ kind: 'key', key, thumbprint: thumbprintOf(key) });
      t.equal(found?.deviceId, device.deviceId);
      t.equal(found?.altSecurityIdentities.length, device.keys.length);
    }
  });

  t.test('not found resolves undefined', async (t) => {
    const key = `${SHA1_TP_PUBKEY_PREFIX}${'F'.repeat(40)}${'A'.repeat(43)}=`;
    t.equal(await dir().find({ kind: 'key', key, thumbprint: 'F'.repeat(40) }), undefined);
    t.equal(await dir().find({ kind: 'thumbprint', thumbprint: 'F'.repeat(40) }), undefined);
    t.equal(await dir().find({ kind: 'deviceId', deviceId: '01234567-89ab-4cde-8f01-23456789abcd' }), undefined);
    // A key whose thumbprint matches but whose public-key hash does not must not match.
    const real = spec.devices[0]!.keys[0]!;
    const wrongHash = real.slice(0, 61) + 'B'.repeat(43) + '=';
    t.equal(await dir().find({ kind: 'key', key: wrongHash, thumbprint: thumbprintOf(real) }), undefined);
  });

  t.test('decoded fields', async (t) => {
    for (const device of spec.devices) {
      const record = await dir().find({ kind: 'deviceId', deviceId: device.deviceId });
      if (!record) {
        t.fail(`device ${device.deviceId} not found`);
        continue;
      }
      t.match(record, device.expect, `fields of ${device.deviceId}`);
      for (const field of device.absent ?? []) t.notOk(field in record, `${String(field)} absent on ${device.deviceId}`);
      for (const d of ['approximateLastLogon', 'whenCreated', 'whenChanged'] as const) {
        if (record[d] !== undefined) t.ok(record[d] instanceof Date && !Number.isNaN(record[d].getTime()), `${d} is a Date`);
      }
      if (quirks.serverMetadata) {
        t.match(record.objectGuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'server objectGUID');
        t.ok(record.whenCreated instanceof Date, 'server whenCreated');
      } else {
        t.notOk('objectGuid' in record, 'no objectGUID outside AD');
      }
    }
  });

  t.test('issuer certificates from the DRS object', async (t) => {
    const certs = await dir().issuerCertificates();
    t.equal(certs.length, spec.issuerCertificateCount);
    for (const der of certs) {
      t.ok(Buffer.isBuffer(der), 'DER bytes');
      t.equal(der[0], 0x30, 'starts with a DER SEQUENCE');
    }
  });

  t.test('searchAttributes for a user by sAMAccountName', async (t) => {
    const rows = await dir().searchAttributes(
      `(&(objectClass=user)(sAMAccountName=${escapeFilterValue(spec.user.sAMAccountName)}))`,
      ['objectSid', 'userPrincipalName', 'sAMAccountName'],
    );
    t.equal(rows.length, 1);
    const sid = rows[0]?.objectSid?.[0] ?? '';
    if (quirks.fixtureSids) t.equal(sid, spec.user.sid);
    else t.match(sid, /^S-1-5-21-\d+-\d+-\d+-\d+$/, 'server-made SID as SID text');
    t.same(rows[0]?.userPrincipalName, [spec.user.upn]);
    const bySid = await dir().searchAttributes(`(objectSid=${escapeFilterValue(sid)})`, ['sAMAccountName']);
    t.same(bySid.map((r) => r.sAMAccountName?.[0]?.toLowerCase()), [spec.user.sAMAccountName]);
    const none = await dir().searchAttributes('(sAMAccountName=nobody-by-this-name)', ['cn']);
    t.same(none, []);
  });

  t.test('filter-injection payloads find nothing', async (t) => {
    const before = dir().stats.searches;
    for (const payload of INJECTION) {
      t.equal(await dir().find({ kind: 'key', key: payload, thumbprint: payload }), undefined, `key ${JSON.stringify(payload)}`);
      t.equal(await dir().find({ kind: 'key', key: SHA1_TP_PUBKEY_PREFIX + payload, thumbprint: payload }), undefined);
      t.equal(await dir().find({ kind: 'thumbprint', thumbprint: payload }), undefined, `thumbprint ${JSON.stringify(payload)}`);
      t.equal(await dir().find({ kind: 'deviceId', deviceId: payload }), undefined, `deviceId ${JSON.stringify(payload)}`);
      const rows = await dir().searchAttributes(`(sAMAccountName=${escapeFilterValue(payload)})`, ['sAMAccountName']);
      t.same(rows, [], `searchAttributes ${JSON.stringify(payload)}`);
    }
    // A thumbprint prefix that would match every device if sent as a substring.
    t.equal(await dir().find({ kind: 'thumbprint', thumbprint: '' }), undefined);
    t.equal(await dir().find({ kind: 'thumbprint', thumbprint: thumbprintOf(spec.devices[0]!.keys[0]!).slice(0, 10) }), undefined);
    t.ok(dir().stats.searches > before, 'stats.searches counts look-ups');
  });

  t.test('stats.searches counts one per find', async (t) => {
    const before = dir().stats.searches;
    await dir().find({ kind: 'deviceId', deviceId: spec.devices[0]!.deviceId });
    await dir().find({ kind: 'thumbprint', thumbprint: thumbprintOf(spec.devices[0]!.keys[0]!) });
    t.equal(dir().stats.searches - before, 2);
  });
}
