// A generated forest for the inventory at scale: N devices and N users, each user with one NGC key on
// "their" device; 1% of keys orphaned, 1% of devices disabled, 2% stale. Key blobs are computed from a
// few real RSA keys (the blob, its KeyID and KeyHash differ per device; the modulus repeats).
import { generateKeyPairSync, createHash } from 'node:crypto';
import { dateToFileTime, guidToBytes, sidTextToBinary, SHA1_TP_PUBKEY_PREFIX, type RawValue } from '../../src/directory/index.js';
import type { LdifRecord } from '../../test/harness/index.js';
import { bcryptRsaPublicBlob, dnBinary, keyCredentialBlob, rsaParts } from '../../scripts/fixtures/key-credential-blob.js';

const DOMAIN_SID = 'S-1-5-21-1111111111-2222222222-3333333333';
const DEVICES_DN = 'CN=RegisteredDevices,DC=contoso,DC=com';

function guid(i: number): string {
  const h = createHash('sha256').update(`inventory-bench-${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function* generateWorld(n: number): Generator<LdifRecord> {
  const materials = Array.from({ length: 4 }, () => {
    const { modulus, exponent } = rsaParts(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey);
    return bcryptRsaPublicBlob(modulus, exponent);
  });
  const recent = dateToFileTime(new Date('2026-11-02T08:30:00Z'));
  const old = dateToFileTime(new Date('2023-01-15T10:00:00Z'));
  const created = new Date('2025-03-01T09:00:00Z');
  for (let i = 0; i < n; i++) {
    const id = guid(i);
    const sid = sidTextToBinary(`${DOMAIN_SID}-${10_000 + i}`);
    const tp = createHash('sha1').update(`tp-${i}`).digest('hex').toUpperCase();
    yield {
      dn: `CN=${id},${DEVICES_DN}`,
      attributes: new Map<string, RawValue[]>([
        ['objectClass', ['top', 'msDS-Device']], ['cn', [id]], ['displayName', [`DEV-${i}`]],
        ['altSecurityIdentities', [`${SHA1_TP_PUBKEY_PREFIX}${tp}${createHash('sha256').update(`pk-${i}`).digest('base64')}`]],
        ['msDS-DeviceID', [guidToBytes(id)]], ['msDS-IsEnabled', [i % 100 === 7 ? 'FALSE' : 'TRUE']],
        ['msDS-DeviceOSType', [i % 3 === 0 ? 'iOS' : 'Windows']], ['msDS-DeviceOSVersion', ['10.0.26100.1']],
        ['msDS-DeviceTrustType', [String(i % 3)]], ['msDS-IsManaged', [i % 2 ? 'TRUE' : 'FALSE']], ['msDS-IsCompliant', [i % 4 ? 'TRUE' : 'FALSE']],
        ['msDS-RegisteredOwner', [sid]], ['msDS-RegisteredUsers', [sid]],
        ['msDS-ApproximateLastLogonTimeStamp', [i % 50 === 3 ? old : recent]],
      ]),
    };
    const userDn = `CN=user${i},CN=Users,DC=contoso,DC=com`;
    const keyDevice = i % 100 === 11 ? guid(n + i) : id; // 1% orphaned
    yield {
      dn: userDn,
      attributes: new Map<string, RawValue[]>([
        ['objectClass', ['top', 'person', 'organizationalPerson', 'user']], ['cn', [`user${i}`]], ['sn', [`user${i}`]],
        ['sAMAccountName', [`user${i}`]], ['userPrincipalName', [`user${i}@contoso.com`]], ['objectSid', [sid]],
        ['msDS-KeyCredentialLink', [dnBinary(keyCredentialBlob({ keyMaterial: materials[i % materials.length]!, deviceId: keyDevice, created }), userDn)]],
      ]),
    };
  }
}
