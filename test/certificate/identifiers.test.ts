import t from 'tap';
import {
  normalizeThumbprint,
  normalizeDeviceId,
  guidToBytes,
  bytesToGuid,
  CertificateError,
  CERTIFICATE_ERROR_CODES,
} from '../../src/certificate/index.js';

const TP = 'DB6EFEC376B876C5D1A3EE72CF591DF74B323A5E';

t.test('normalizeThumbprint accepts case and separators', async (t) => {
  const ok: [string, string][] = [
    ['upper', TP],
    ['lower', TP.toLowerCase()],
    ['colons', TP.match(/../g)!.join(':')],
    ['spaces (certmgr style)', TP.toLowerCase().match(/../g)!.join(' ')],
    ['surrounding whitespace', `  ${TP}\n`],
  ];
  for (const [label, input] of ok) t.equal(normalizeThumbprint(input), TP, label);
});

t.test('normalizeThumbprint refuses everything else with a reason', async (t) => {
  const bad: [string, string, RegExp][] = [
    ['empty', '', /empty/],
    ['only separators', ' : : ', /empty/],
    ['39 digits', TP.slice(1), /40 hex digits.*got 39/],
    ['41 digits', `${TP}0`, /got 41/],
    ['SHA-256 length', 'A'.repeat(64), /got 64/],
    ['non-hex letter', `${TP.slice(0, 39)}G`, /"G" at position 40/],
    ['LDAP wildcard', `${TP.slice(0, 39)}*`, /"\*" at position 40/],
    ['filter breakout', `${TP.slice(0, 20)})(objectClass=*`, /"\)" at position 21/],
    ['backslash', `${TP.slice(0, 38)}\\2a`, /"\\" at position 39/],
    ['NUL byte', `${TP.slice(0, 39)}\0`, /U\+0000 at position 40/],
    ['dashes', TP.match(/..../g)!.join('-'), /"-" at position 5/],
    ['0x prefix', `0x${TP}`, /"x" at position 2/],
    ['unicode', `${TP.slice(0, 39)}é`, /"é"|U\+00E9/],
  ];
  for (const [label, input, message] of bad) {
    try {
      normalizeThumbprint(input);
      t.fail(`${label}: accepted`);
    } catch (error) {
      t.ok(error instanceof CertificateError, label);
      const e = error as CertificateError;
      t.equal(e.code, 'DG_ERR_CERT_THUMBPRINT', label);
      t.equal(e.field, 'device.thumbprint', label);
      t.equal(e.statusCode, 400, label);
      t.match(e.message, message, label);
      t.notMatch(e.message, /[\0\n]/, `${label}: printable one-line message`);
    }
  }
});

const ID = '00166477-081e-4bc4-b2f2-468326ef9428';
const ID_BYTES_LE = '776416001e08c44bb2f2468326ef9428';

t.test('normalizeDeviceId', async (t) => {
  for (const input of [ID, ID.toUpperCase(), `{${ID}}`, `{${ID.toUpperCase()}}`, ` ${ID} `]) t.equal(normalizeDeviceId(input), ID, input);
  for (const input of ['', ID.replaceAll('-', ''), `{${ID}`, `${ID}}`, `${ID}0`, ID.replace('0', 'g'), `(${ID})`, '*', `${ID.slice(0, 35)}*`, `${ID.slice(0, 35)}\0`]) {
    t.throws(() => normalizeDeviceId(input), { code: 'DG_ERR_CERT_DEVICE_ID', field: 'device.deviceId' }, JSON.stringify(input));
  }
});

t.test('GUID bytes in .NET Guid.ToByteArray order (MS-DVRE sample)', async (t) => {
  t.equal(guidToBytes(ID).toString('hex'), ID_BYTES_LE);
  t.equal(guidToBytes(ID).toString('base64'), 'd2QWAB4IxEuy8kaDJu+UKA==', 'reference LDIF value');
  t.equal(bytesToGuid(Buffer.from(ID_BYTES_LE, 'hex')), ID);
  t.equal(bytesToGuid(new Uint8Array(Buffer.from(`00${ID_BYTES_LE}00`, 'hex')).subarray(1, 17)), ID, 'works on a view with an offset');
  for (const n of [0, 4, 15, 17, 32]) t.throws(() => bytesToGuid(Buffer.alloc(n)), { code: 'DG_ERR_CERT_DEVICE_ID' }, `${n} bytes`);
  t.throws(() => guidToBytes('nope'), { code: 'DG_ERR_CERT_DEVICE_ID' });
  for (let i = 0; i < 50; i++) {
    const g = crypto.randomUUID();
    t.equal(bytesToGuid(guidToBytes(g)), g);
  }
});

t.test('every error code maps to a 4xx status', async (t) => {
  for (const [code, status] of Object.entries(CERTIFICATE_ERROR_CODES)) {
    t.match(code, /^DG_ERR_CERT_[A-Z_]+$/);
    t.ok(status >= 400 && status < 500, code);
  }
});
