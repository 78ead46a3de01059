import t from 'tap';
import { deviceClaims, deviceStatus, DEVICE_CLAIM_TYPES as T, LOCAL_AUTHORITY, type DeviceStatus } from '../../src/claims/index.js';
import type { DeviceRecord } from '../../src/directory/index.js';

const OWNER = 'S-1-5-21-2378277246-2682074319-435474115-1105';
const OTHER = 'S-1-5-21-2378277246-2682074319-435474115-1106';

const base: DeviceRecord = {
  dn: 'CN=00166477-081e-4bc4-b2f2-468326ef9428,CN=RegisteredDevices,DC=contoso,DC=com',
  deviceId: '00166477-081e-4bc4-b2f2-468326ef9428',
  displayName: 'WEClient.contoso.com',
  altSecurityIdentities: [],
  isEnabled: true,
  osType: 'Windows',
  osVersion: '6.2.9200.0',
  registeredOwner: OWNER,
  registeredUsers: [OWNER],
  approximateLastLogon: new Date('2014-03-06T04:56:25Z'),
  isManaged: false,
  cloudIsManaged: false,
  isCompliant: false,
  trustType: 2,
};

function asMap(claims: ReturnType<typeof deviceClaims>): Record<string, string> {
  return Object.fromEntries(claims.map((c) => [c.type, c.value]));
}

t.test('device claims: mapping table', async (t) => {
  const cases: { name: string; record: DeviceRecord; options?: Parameters<typeof deviceClaims>[1]; expect: Record<string, string | undefined> }[] = [
    {
      name: 'the MS-DVRE sample device, no primarysid',
      record: base,
      expect: {
        [T.identifier]: '00166477-081e-4bc4-b2f2-468326ef9428',
        [T.displayName]: 'WEClient.contoso.com',
        [T.osType]: 'Windows',
        [T.osVersion]: '6.2.9200.0',
        [T.isKnown]: 'true',
        [T.isManaged]: 'false',
        [T.isCompliant]: 'false',
        [T.trustType]: '2',
        [T.isRegisteredUser]: undefined,
        [T.usageTime]: '2014-03-06T04:56:25.000Z',
      },
    },
    { name: 'owner sid -> registered user', record: base, options: { primarySid: OWNER }, expect: { [T.isRegisteredUser]: 'true' } },
    { name: 'lower-case sid still matches', record: base, options: { primarySid: OWNER.toLowerCase() }, expect: { [T.isRegisteredUser]: 'true' } },
    { name: 'other sid -> not registered', record: base, options: { primarySid: OTHER }, expect: { [T.isRegisteredUser]: 'false' } },
    {
      name: 'registered user without being owner',
      record: { ...base, registeredOwner: OWNER, registeredUsers: [OWNER, OTHER] },
      options: { primarySid: OTHER },
      expect: { [T.isRegisteredUser]: 'true' },
    },
    { name: 'cloud managed only -> managed', record: { ...base, isManaged: false, cloudIsManaged: true }, expect: { [T.isManaged]: 'true' } },
    { name: 'managed on-prem -> managed', record: { ...base, isManaged: true, cloudIsManaged: undefined }, expect: { [T.isManaged]: 'true' } },
    { name: 'compliance absent -> false', record: { ...base, isCompliant: undefined }, expect: { [T.isCompliant]: 'false' } },
    { name: 'compliant', record: { ...base, isCompliant: true }, expect: { [T.isCompliant]: 'true' } },
    { name: 'trust type names: 0', record: { ...base, trustType: 0 }, options: { trustTypeNames: true }, expect: { [T.trustType]: 'Workplace' } },
    { name: 'trust type names: 1', record: { ...base, trustType: 1 }, options: { trustTypeNames: true }, expect: { [T.trustType]: 'AzureAd' } },
    { name: 'trust type names: 2', record: base, options: { trustTypeNames: true }, expect: { [T.trustType]: 'ServerAd' } },
    { name: 'trust type names: unmapped value stays a number', record: { ...base, trustType: 7 }, options: { trustTypeNames: true }, expect: { [T.trustType]: '7' } },
    {
      name: 'absent attributes give no claim',
      record: { dn: 'CN=x', altSecurityIdentities: [], isEnabled: true },
      expect: {
        [T.identifier]: undefined,
        [T.displayName]: undefined,
        [T.osType]: undefined,
        [T.trustType]: undefined,
        [T.usageTime]: undefined,
        [T.isKnown]: 'true',
        [T.isManaged]: 'false',
        [T.isCompliant]: 'false',
      },
    },
  ];
  for (const c of cases) {
    const claims = deviceClaims(c.record, c.options);
    const map = asMap(claims);
    for (const [type, value] of Object.entries(c.expect)) t.equal(map[type], value, `${c.name}: ${type.split('/').pop()}`);
    t.equal(new Set(claims.map((x) => x.type)).size, claims.length, `${c.name}: one claim per type`);
    for (const claim of claims) {
      t.equal(claim.issuer, LOCAL_AUTHORITY, `${c.name}: issuer`);
      t.equal(claim.originalIssuer, LOCAL_AUTHORITY, `${c.name}: original issuer`);
      t.match(claim.type, /^http:\/\//, `${c.name}: http scheme`);
      t.type(claim.value, 'string');
    }
  }
});

t.test('device status table', async (t) => {
  const now = new Date('2025-06-01T00:00:00Z');
  const recent = new Date('2025-05-20T00:00:00Z');
  const old = new Date('2025-01-01T00:00:00Z');
  const badCert = { ok: false as const, code: 'untrusted_issuer', message: 'issuer not trusted' };
  const cases: { name: string; input: Omit<Parameters<typeof deviceStatus>[0], 'now'>; expect: DeviceStatus }[] = [
    { name: 'nothing presented', input: { presented: false }, expect: 'not_presented' },
    { name: 'no object', input: { presented: true }, expect: 'unknown' },
    { name: 'directory failed', input: { presented: true, directoryFailed: true, record: base }, expect: 'directory_unavailable' },
    { name: 'known', input: { presented: true, record: base }, expect: 'known' },
    { name: 'known with a good certificate', input: { presented: true, record: base, certificate: { ok: true } }, expect: 'known' },
    { name: 'disabled', input: { presented: true, record: { ...base, isEnabled: false } }, expect: 'disabled' },
    { name: 'msDS-IsEnabled absent fails closed', input: { presented: true, record: { ...base, isEnabled: undefined } }, expect: 'disabled' },
    { name: 'untrusted certificate', input: { presented: true, record: base, certificate: badCert }, expect: 'untrusted_certificate' },
    { name: 'untrusted certificate beats disabled', input: { presented: true, record: { ...base, isEnabled: false }, certificate: badCert }, expect: 'untrusted_certificate' },
    { name: 'old logon but staleness off', input: { presented: true, record: { ...base, approximateLastLogon: old } }, expect: 'known' },
    { name: 'old logon, maxInactiveDays 0 = off', input: { presented: true, maxInactiveDays: 0, record: { ...base, approximateLastLogon: old } }, expect: 'known' },
    { name: 'stale with maxInactiveDays 90', input: { presented: true, maxInactiveDays: 90, record: { ...base, approximateLastLogon: old } }, expect: 'stale' },
    { name: 'recent with maxInactiveDays 90', input: { presented: true, maxInactiveDays: 90, record: { ...base, approximateLastLogon: recent } }, expect: 'known' },
    { name: 'no logon time is not stale', input: { presented: true, maxInactiveDays: 1, record: { ...base, approximateLastLogon: undefined } }, expect: 'known' },
    { name: 'disabled beats stale', input: { presented: true, maxInactiveDays: 90, record: { ...base, isEnabled: false, approximateLastLogon: old } }, expect: 'disabled' },
    { name: 'identifier not accepted as authentication', input: { presented: true, untrustedIdentifier: true, record: base }, expect: 'untrusted_identifier' },
    { name: 'two objects for one key', input: { presented: true, record: { ...base, duplicates: ['CN=other,CN=RegisteredDevices,DC=contoso,DC=com'] } }, expect: 'ambiguous' },
    { name: 'ambiguous beats a good certificate', input: { presented: true, record: { ...base, duplicates: ['CN=other'] }, certificate: { ok: true } }, expect: 'ambiguous' },
    { name: 'no duplicates: known', input: { presented: true, record: { ...base, duplicates: [] } }, expect: 'known' },
  ];
  for (const c of cases) {
    const r = deviceStatus({ ...c.input, now });
    t.equal(r.status, c.expect, c.name);
    if (r.status !== 'known' && r.status !== 'not_presented') t.ok(r.detail, `${c.name}: has a detail`);
  }
});
