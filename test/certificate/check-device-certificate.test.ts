import t from 'tap';
import { readFileSync } from 'node:fs';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  parseDeviceCertificate,
  buildIssuerTrust,
  checkDeviceCertificate,
  guidToBytes,
  type DeviceCertificate,
} from '../../src/certificate/index.js';
import * as issue from '../../scripts/fixtures/issue-certificate.js';

const SAMPLE = parseDeviceCertificate(readFileSync(new URL('../../fixtures/ms-dvre-sample-device-cert.pem', import.meta.url), 'utf8'));
const SAMPLE_ID = '00166477-081e-4bc4-b2f2-468326ef9428';

interface Ca { name: issue.Rdn[]; keys: { publicKey: KeyObject; privateKey: KeyObject }; der: Buffer }
function makeCa(cn: string, notAfter = new Date('2045-01-01T00:00:00Z')): Ca {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const name: issue.Rdn[] = [[['O', 'Test']], [['CN', cn]]];
  const der = issue.issueCertificate({
    subject: name, issuer: name, serial: issue.serialFor(cn), notBefore: new Date('2020-01-01T00:00:00Z'), notAfter,
    publicKey: keys.publicKey, signingKey: keys.privateKey,
    extensions: [issue.basicConstraints(true), issue.keyUsage(true), issue.subjectKeyIdentifier(keys.publicKey)],
  });
  return { name, keys, der };
}
const deviceKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ID = '5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
function makeDevice(ca: Ca, opts: { cn?: string; ext?: string; signer?: KeyObject } = {}): DeviceCertificate {
  return parseDeviceCertificate(issue.issueCertificate({
    subject: [[['CN', opts.cn ?? ID]]], issuer: ca.name, serial: issue.serialFor(`${opts.cn}${opts.ext}`),
    notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2035-01-01T00:00:00Z'),
    publicKey: deviceKeys.publicKey, signingKey: opts.signer ?? ca.keys.privateKey,
    extensions: [issue.basicConstraints(false), issue.clientAuthEku(), issue.guidExtension('1.2.840.113556.1.5.284.2', guidToBytes(opts.ext ?? ID))],
  }));
}

const caA = makeCa('Device CA A');
const caB = makeCa('Device CA B');
const caOld = makeCa('Device CA Old', new Date('2024-01-01T00:00:00Z'));
const NOW = new Date('2026-06-01T00:00:00Z');
const OTHER = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';

t.test('buildIssuerTrust', async (t) => {
  t.same(buildIssuerTrust([]), { mode: 'name', anchors: 0 });
  t.same(buildIssuerTrust([caA.der]), { mode: 'chain', anchors: 1 });
  t.same(buildIssuerTrust([issue.toPem(caA.der) + issue.toPem(caB.der), caA.der]), { mode: 'chain', anchors: 2 }, 'several PEM blocks, duplicates dropped');
  t.same(buildIssuerTrust([`CA bundle\n${issue.toPem(caA.der)}`]), { mode: 'chain', anchors: 1 }, 'leading text');
  t.throws(() => buildIssuerTrust(['junk']), { code: 'DG_ERR_CERT_ANCHOR', message: /#1/ });
  t.throws(() => buildIssuerTrust([caA.der, caA.der.subarray(0, 50)]), { code: 'DG_ERR_CERT_ANCHOR', message: /#2/ });
});

t.test('checkDeviceCertificate verdicts', async (t) => {
  const trustA = buildIssuerTrust([caA.der]);
  const trustAB = buildIssuerTrust([caB.der, caA.der]);
  const good = makeDevice(caA);
  const cases: [string, DeviceCertificate, Parameters<typeof checkDeviceCertificate>[1], string | true][] = [
    ['valid, issued by the anchor', good, { trust: trustA, now: NOW }, true],
    ['valid, second anchor matches', good, { trust: trustAB, now: NOW }, true],
    ['device ID matches (braced upper case)', good, { trust: trustA, now: NOW, deviceId: `{${ID.toUpperCase()}}` }, true],
    ['before notBefore', good, { trust: trustA, now: new Date('2024-12-31T23:59:59Z') }, 'not_yet_valid'],
    ['after notAfter', good, { trust: trustA, now: new Date('2035-01-01T00:00:01Z') }, 'expired'],
    ['invalid now', good, { trust: trustA, now: new Date(Number.NaN) }, 'expired'],
    ['other CA only', good, { trust: buildIssuerTrust([caB.der]), now: NOW }, 'untrusted_issuer'],
    ['name mode: issuer CN is not MS-Organization-Access', good, { trust: buildIssuerTrust([]), now: NOW }, 'untrusted_issuer'],
    ['same issuer name, forged signature', makeDevice(caA, { signer: caB.keys.privateKey }), { trust: trustA, now: NOW }, 'untrusted_issuer'],
    ['anchor expired', makeDevice(caOld), { trust: buildIssuerTrust([caOld.der]), now: NOW }, 'untrusted_issuer'],
    ['device ID differs', good, { trust: trustA, now: NOW, deviceId: OTHER }, 'device_id_mismatch'],
    ['extension differs from CN', makeDevice(caA, { ext: OTHER }), { trust: trustA, now: NOW, deviceId: ID }, 'device_id_mismatch'],
    ['CN differs from extension', makeDevice(caA, { cn: OTHER }), { trust: trustA, now: NOW, deviceId: ID }, 'device_id_mismatch'],
    ['CN not a GUID', makeDevice(caA, { cn: 'laptop-17' }), { trust: trustA, now: NOW, deviceId: ID }, 'device_id_mismatch'],
    ['directory device ID not a GUID', good, { trust: trustA, now: NOW, deviceId: 'x' }, 'device_id_mismatch'],
    ['MS-DVRE sample, name mode, in its validity', SAMPLE, { trust: buildIssuerTrust([]), now: new Date('2020-01-01T00:00:00Z'), deviceId: SAMPLE_ID }, true],
    ['MS-DVRE sample after 2024', SAMPLE, { trust: buildIssuerTrust([]), now: NOW }, 'expired'],
    ['MS-DVRE sample, chain mode with an unrelated anchor', SAMPLE, { trust: trustA, now: new Date('2020-01-01T00:00:00Z') }, 'untrusted_issuer'],
  ];
  for (const [label, cert, options, expected] of cases) {
    const r = checkDeviceCertificate(cert, options);
    if (expected === true) t.same(r, { ok: true }, label);
    else {
      t.equal(r.ok, false, label);
      if (!r.ok) {
        t.equal(r.code, expected, label);
        t.type(r.message, 'string');
      }
    }
  }
});

t.test('a cached chain verdict does not leak between trusts', async (t) => {
  const cert = makeDevice(caA);
  t.equal(checkDeviceCertificate(cert, { trust: buildIssuerTrust([caB.der]), now: NOW }).ok, false);
  t.equal(checkDeviceCertificate(cert, { trust: buildIssuerTrust([caA.der]), now: NOW }).ok, true);
  t.equal(checkDeviceCertificate(cert, { trust: buildIssuerTrust([caB.der]), now: NOW }).ok, false);
});
