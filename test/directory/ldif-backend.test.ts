import t from 'tap';
import { LdifDirectory, openLdifDirectory, parseLdif, type DeviceDirectory } from '../../src/directory/index.js';
import { directoryCases } from './directory-cases.js';
import { activeFixture } from './active-fixture.js';
import { devFixture } from './dev-fixture.js';

const spec = activeFixture();
let dir: DeviceDirectory | undefined;
t.before(async () => {
  dir = await openLdifDirectory(spec.ldifPath);
});
t.teardown(() => dir?.close());

directoryCases(t, () => dir!, spec, { serverMetadata: false, fixtureSids: true });

t.test('the development LDIF (MS-DVRE sample device, SID text bytes) passes the same cases', async (t) => {
  const dev = await openLdifDirectory(devFixture.ldifPath);
  t.teardown(() => dev.close());
  directoryCases(t, () => dev, devFixture, { serverMetadata: false, fixtureSids: true });
});

t.test('LDIF syntax: folding, base64, comments, CRLF, several values', async (t) => {
  const text = [
    'version: 1',
    '# a comment',
    'dn: CN=x,DC=contoso,DC=com',
    'objectClass: top',
    'description: folded',
    '  value',
    'cn:: eA==',
    'member: a',
    'member: b',
    '',
    '',
    'dn: CN=y,DC=contoso,DC=com',
    'cn: y',
  ].join('\r\n');
  const entries = parseLdif(text, 'mem.ldif');
  t.equal(entries.length, 2);
  t.same(entries[0]?.attributes.get('description'), ['folded value']);
  t.same(entries[0]?.attributes.get('cn'), [Buffer.from('x')]);
  t.same(entries[0]?.attributes.get('member'), ['a', 'b']);
  t.equal(entries[1]?.line, 12);
});

t.test('LDIF errors name file:line', async (t) => {
  const cases: [string, RegExp][] = [
    ['dn: CN=a\nno colon here', /^bad\.ldif:2: expected "attribute: value"/],
    ['cn: a', /^bad\.ldif:1: entry must start with "dn:"/],
    ['dn: CN=a\ncn:: !!!', /^bad\.ldif:2: cn: invalid base64/],
    ['dn: CN=a\njpegPhoto:< file:///etc/passwd', /^bad\.ldif:2: .*not supported/],
    [' folded first', /^bad\.ldif:1: continuation line/],
    ['dn: CN=a\nchangetype: add', /^bad\.ldif:2: change records/],
    ['dn: CN=a\ncn: a\ndn: CN=b', /^bad\.ldif:3: second "dn:"/],
  ];
  for (const [text, re] of cases) t.throws(() => parseLdif(text, 'bad.ldif'), { code: 'DG_ERR_DIRECTORY_LDIF', message: re });
  await t.rejects(openLdifDirectory('does/not/exist.ldif'), { code: 'DG_ERR_DIRECTORY_LDIF', message: /does\/not\/exist\.ldif/ });
});

t.test('malformed device values raise DG_ERR_DIRECTORY_DATA on lookup', async (t) => {
  const text = [
    'dn: CN=bad,CN=RegisteredDevices,DC=contoso,DC=com',
    'objectClass: msDS-Device',
    'cn: bad',
    'altSecurityIdentities: X509:<SHA1-TP-PUBKEY>' + 'A'.repeat(40) + 'x',
    'msDS-DeviceID:: AQIDBA==',
    'msDS-IsEnabled: yes',
  ].join('\n');
  const d = new LdifDirectory(text, 'bad.ldif');
  await t.rejects(d.find({ kind: 'thumbprint', thumbprint: 'A'.repeat(40) }), { code: 'DG_ERR_DIRECTORY_DATA', statusCode: 502 });
  t.equal(d.stats.errors, 1);
  await d.close();
  await t.rejects(d.find({ kind: 'thumbprint', thumbprint: 'A'.repeat(40) }), { code: 'DG_ERR_DIRECTORY_CLOSED' });
});
