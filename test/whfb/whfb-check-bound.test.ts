// One whfb check makes at most MAX_KEYS_CHECKED device look-ups, however many keys a user holds.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import t from 'tap';
import type { DirectoryScanner } from '../../src/directory/index.js';
import { LdifScanner } from '../../src/directory/ldif-scanner.js';
import { checkWhfb, MAX_KEYS_CHECKED } from '../../src/inventory/whfb-check.js';
import { bcryptRsaPublicBlob, dnBinary, keyCredentialBlob, rsaParts } from '../../scripts/fixtures/key-credential-blob.js';

t.test('a user with more keys than the bound: the first ones are checked, and a warning says so', async (t) => {
  const { modulus, exponent } = rsaParts(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey);
  const material = bcryptRsaPublicBlob(modulus, exponent);
  const dn = 'CN=many,CN=Users,DC=contoso,DC=com';
  const keys = Array.from({ length: MAX_KEYS_CHECKED + 6 }, () => dnBinary(keyCredentialBlob({ keyMaterial: material, deviceId: randomUUID(), created: new Date('2025-01-01T00:00:00Z') }), dn));
  const ldif = [
    'dn: DC=contoso,DC=com\nobjectClass: domain\ndc: contoso\n',
    `dn: ${dn}\nobjectClass: user\ncn: many\nuserPrincipalName: many@contoso.com\n${keys.map((k) => `msDS-KeyCredentialLink: ${k}`).join('\n')}\n`,
  ].join('\n');
  const scanner = new LdifScanner(ldif, 'many.ldif');
  let lookups = 0;
  const counted: DirectoryScanner = {
    description: scanner.description,
    naming: () => scanner.naming(),
    devices: (n) => scanner.devices(n),
    keyHolders: (n) => scanner.keyHolders(n),
    findUser: (lookup) => scanner.findUser(lookup),
    findDevicesById: (id) => {
      lookups++;
      return scanner.findDevicesById(id);
    },
    close: () => scanner.close(),
  };
  const result = await checkWhfb(counted, 'many@contoso.com');
  t.equal(lookups, MAX_KEYS_CHECKED);
  t.match(result.checks.find((c) => c.check === 'keys_checked'), { status: 'warn', message: new RegExp(`first ${MAX_KEYS_CHECKED} of ${MAX_KEYS_CHECKED + 6}`) });
  t.equal(result.ok, false, 'none of the devices is written back');
});
