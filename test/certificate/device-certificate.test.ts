import t from 'tap';
import { readFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import {
  parseDeviceCertificate,
  CertificateError,
  guidToBytes,
  ALT_SECURITY_IDENTITY_PREFIX,
} from '../../src/certificate/index.js';
import * as issue from '../../scripts/fixtures/issue-certificate.js';

const SAMPLE_PEM = readFileSync(new URL('../../fixtures/ms-dvre-sample-device-cert.pem', import.meta.url), 'utf8');
const SAMPLE = {
  thumbprint: 'DB6EFEC376B876C5D1A3EE72CF591DF74B323A5E',
  publicKeyHash: 'I2o7uyShbCc+1kJow6OX6c5fWtR4fRBXCDkolT4SET0=',
  deviceId: '00166477-081e-4bc4-b2f2-468326ef9428',
};
const sampleDer = Buffer.from(SAMPLE_PEM.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');

t.test('MS-DVRE sample: known answers in every input form', async (t) => {
  const forms: [string, string | Buffer][] = [
    ['PEM', SAMPLE_PEM],
    ['PEM with leading text', `Subject: CN=${SAMPLE.deviceId}\nissuer: whatever\n${SAMPLE_PEM}`],
    ['PEM with CRLF', SAMPLE_PEM.replace(/\n/g, '\r\n')],
    ['DER buffer', sampleDer],
    ['base64 DER', sampleDer.toString('base64')],
    ['base64 DER wrapped with spaces', sampleDer.toString('base64').replace(/.{60}/g, '$& \n\t')],
    ['PEM as a Buffer', Buffer.from(SAMPLE_PEM)],
  ];
  for (const [label, input] of forms) {
    const c = parseDeviceCertificate(input);
    t.equal(c.thumbprint, SAMPLE.thumbprint, `${label}: thumbprint`);
    t.equal(c.publicKeyHash, SAMPLE.publicKeyHash, `${label}: PKCS#1 key hash`);
    t.equal(c.altSecurityIdentity, `X509:<SHA1-TP-PUBKEY>${SAMPLE.thumbprint}${SAMPLE.publicKeyHash}`, `${label}: key`);
    t.equal(c.altSecurityIdentity.length, 105);
    t.equal(c.deviceIdExtension, SAMPLE.deviceId, `${label}: .284.2`);
    t.equal(c.subjectCommonName, SAMPLE.deviceId);
    t.ok(c.der.equals(sampleDer), `${label}: der`);
  }
});

t.test('MS-DVRE sample: names, multi-valued issuer RDN and validity', async (t) => {
  const c = parseDeviceCertificate(SAMPLE_PEM);
  t.equal(c.subject, `CN=${SAMPLE.deviceId}`);
  t.equal(c.issuer, 'DC=net+DC=windows+CN=MS-Organization-Access+OU=82dbaca4-3e81-46ca-9c73-0950c1eaca97');
  t.equal(c.issuerCommonName, 'MS-Organization-Access');
  t.equal(c.notBefore.toISOString(), '2014-03-06T04:56:25.000Z');
  t.equal(c.notAfter.toISOString(), '2024-03-03T05:01:25.000Z');
  t.equal(ALT_SECURITY_IDENTITY_PREFIX.length, 21);
});

function expectCode(t: Pick<typeof import('tap').default, 'ok' | 'equal' | 'match' | 'notMatch' | 'fail'>, fn: () => unknown, code: string, message: RegExp, label: string): void {
  try {
    fn();
    t.fail(`${label}: expected ${code}`);
  } catch (error) {
    t.ok(error instanceof CertificateError, `${label}: CertificateError`);
    const e = error as CertificateError;
    t.equal(e.code, code, `${label}: code`);
    t.equal(e.statusCode, 400, `${label}: status`);
    t.equal(e.field, 'device.certificate', `${label}: field`);
    t.match(e.message, message, `${label}: message`);
    t.notMatch(e.message, /\n/, `${label}: one line`);
  }
}

t.test('malformed input is DG_ERR_CERT_MALFORMED with a clear reason', async (t) => {
  const body = SAMPLE_PEM.replace(/-----[A-Z ]+-----|\s/g, '');
  const cases: [string, string | Buffer, RegExp][] = [
    ['empty string', '', /empty/],
    ['blank string', '  \n ', /empty/],
    ['empty buffer', Buffer.alloc(0), /empty/],
    ['garbage text', 'hello world', /neither PEM nor base64/],
    ['PEM without END', SAMPLE_PEM.replace('-----END CERTIFICATE-----', ''), /no matching END/],
    ['private key PEM', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', /no CERTIFICATE block/],
    ['PEM with bad chars', `-----BEGIN CERTIFICATE-----\n${body.slice(0, 100)}*!${body.slice(100)}\n-----END CERTIFICATE-----`, /unexpected characters/],
    ['truncated DER', sampleDer.subarray(0, sampleDer.length - 20), /not a valid X\.509/],
    ['truncated base64', body.slice(0, 400), /not a valid X\.509/],
    ['DER with trailing bytes', Buffer.concat([sampleDer, Buffer.from([0, 0, 0])]), /trailing bytes|not a valid/],
    ['a lone SEQUENCE', Buffer.from([0x30, 0x00]), /not a valid X\.509/],
    ['not a SEQUENCE (base64 of text)', Buffer.from('not a cert at all').toString('base64'), /DER SEQUENCE/],
    ['binary junk', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x02]), /neither PEM nor base64/],
    ['flipped byte inside the TBS', Object.assign(Buffer.from(sampleDer), { 1: 0x81 }), /not a valid/],
  ];
  for (const [label, input, message] of cases) expectCode(t, () => parseDeviceCertificate(input), 'DG_ERR_CERT_MALFORMED', message, label);
});

t.test('every single-byte truncation of the sample is refused, never crashes', async (t) => {
  let refused = 0;
  for (let n = 0; n < sampleDer.length; n += 7) {
    try {
      parseDeviceCertificate(sampleDer.subarray(0, n));
    } catch (error) {
      if (error instanceof CertificateError && error.code === 'DG_ERR_CERT_MALFORMED') refused++;
    }
  }
  t.equal(refused, Math.ceil(sampleDer.length / 7));
});

const caKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const CA_NAME: issue.Rdn[] = [[['CN', 'Test CA']]];
function makeCert(publicKey: import('node:crypto').KeyObject, extensions: issue.Extension[]): Buffer {
  return issue.issueCertificate({
    subject: [[['CN', '11111111-2222-3333-4444-555555555555']]],
    issuer: CA_NAME,
    serial: issue.serialFor('t'),
    notBefore: new Date('2025-01-01T00:00:00Z'),
    notAfter: new Date('2055-01-01T00:00:00Z'),
    publicKey,
    signingKey: caKeys.privateKey,
    extensions,
  });
}

t.test('a non-RSA (EC P-256) certificate is DG_ERR_CERT_NOT_RSA', async (t) => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = makeCert(ec.publicKey, [issue.basicConstraints(false)]);
  expectCode(t, () => parseDeviceCertificate(der), 'DG_ERR_CERT_NOT_RSA', /ec.*RSA/, 'EC');
  const ed = generateKeyPairSync('ed25519');
  expectCode(t, () => parseDeviceCertificate(makeCert(ed.publicKey, [])), 'DG_ERR_CERT_NOT_RSA', /ed25519/, 'Ed25519');
});

t.test('device ID extension: found in .NET order, absent, or malformed', async (t) => {
  const id = 'c0ffee00-1234-4abc-8def-0123456789ab';
  const good = parseDeviceCertificate(makeCert(caKeys.publicKey, [issue.guidExtension('1.2.840.113556.1.5.284.2', guidToBytes(id))]));
  t.equal(good.deviceIdExtension, id);
  t.equal(good.notAfter.toISOString(), '2055-01-01T00:00:00.000Z', 'GeneralizedTime after 2049');
  const minimal = { oid: '1.2.840.113556.1.5.284.2', value: Buffer.concat([Buffer.from([0x04, 0x10]), guidToBytes(id)]) };
  t.equal(parseDeviceCertificate(makeCert(caKeys.publicKey, [minimal])).deviceIdExtension, id, 'minimal length form');
  const other = issue.guidExtension('1.2.840.113556.1.5.284.3', guidToBytes(id));
  t.equal(parseDeviceCertificate(makeCert(caKeys.publicKey, [other])).deviceIdExtension, undefined, '.284.3 is not the device ID');
  const short = { oid: '1.2.840.113556.1.5.284.2', value: Buffer.from([0x04, 0x81, 0x04, 1, 2, 3, 4]) };
  expectCode(t, () => parseDeviceCertificate(makeCert(caKeys.publicKey, [short])), 'DG_ERR_CERT_MALFORMED', /16-byte/, '4-byte id');
  const bare = { oid: '1.2.840.113556.1.5.284.2', value: guidToBytes(id) };
  expectCode(t, () => parseDeviceCertificate(makeCert(caKeys.publicKey, [bare])), 'DG_ERR_CERT_MALFORMED', /16-byte/, 'unwrapped');
});

t.test('flipping any byte of the sample never crashes: a result or a CertificateError', async (t) => {
  let parsed = 0;
  let refused = 0;
  for (let i = 0; i < sampleDer.length; i++) {
    const copy = Buffer.from(sampleDer);
    copy[i] = copy[i]! ^ 0xff;
    try {
      const c = parseDeviceCertificate(copy);
      parsed++;
      t.equal(c.thumbprint.length, 40);
    } catch (error) {
      if (!(error instanceof CertificateError)) t.fail(`byte ${i}: ${String(error)}`);
      else refused++;
    }
  }
  t.equal(parsed + refused, sampleDer.length);
  t.ok(refused > 0 && parsed > 0, `${refused} refused, ${parsed} parsed (signature bytes do not matter to parsing)`);
});
