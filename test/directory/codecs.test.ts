import t from 'tap';
import {
  binarySidToText, bytesToGuid, decodeSid, escapeFilterValue, fileTimeToDate, dateToFileTime, generalizedTimeToDate,
  guidToBytes, parseFilter, sidTextToBinary,
} from '../../src/directory/index.js';

t.test('GUID in Guid.ToByteArray order (MS-DVRE sample extension .284.2)', async (t) => {
  const bytes = Buffer.from('776416001E08C44BB2F2468326EF9428', 'hex');
  t.equal(bytesToGuid(bytes), '00166477-081e-4bc4-b2f2-468326ef9428');
  t.same(guidToBytes('00166477-081E-4BC4-B2F2-468326EF9428'), bytes);
  t.throws(() => bytesToGuid(Buffer.alloc(4)));
  t.throws(() => guidToBytes('not-a-guid'));
});

t.test('SIDs: binary and text bytes', async (t) => {
  const text = 'S-1-5-21-2378277246-2682074319-435474115-1105';
  const bin = Buffer.from('AQUAAAAAAAUVAAAAfqHBjc803Z/DzvQZUQQAAA==', 'base64');
  t.equal(binarySidToText(bin), text);
  t.same(sidTextToBinary(text), bin);
  t.equal(decodeSid(bin), text);
  t.equal(decodeSid(Buffer.from(text, 'ascii')), text);
  t.equal(decodeSid(text.toLowerCase()), text);
  t.equal(decodeSid(Buffer.from('hello')), undefined);
  t.equal(decodeSid(Buffer.from([1, 5, 0, 0])), undefined, 'truncated binary SID');
});

t.test('FILETIME and GeneralizedTime', async (t) => {
  t.equal(fileTimeToDate('130385553850000000')?.toISOString(), '2014-03-06T04:56:25.000Z');
  t.equal(fileTimeToDate('0'), undefined, '0 means never');
  t.equal(fileTimeToDate('9223372036854775807'), undefined);
  t.equal(dateToFileTime(new Date('2014-03-06T04:56:25Z')), '130385553850000000');
  t.throws(() => fileTimeToDate('yesterday'));
  t.equal(generalizedTimeToDate('20240102030405.0Z')?.toISOString(), '2024-01-02T03:04:05.000Z');
  t.equal(generalizedTimeToDate('garbage'), undefined);
});

t.test('escapeFilterValue (RFC 4515)', async (t) => {
  const cases: [string | Buffer, string][] = [
    ['plain', 'plain'],
    ['*', '\\2a'],
    [')(', '\\29\\28'],
    ['a\\b', 'a\\5cb'],
    ['nul\0', 'nul\\00'],
    ['*)(objectClass=*', '\\2a\\29\\28objectClass=\\2a'],
    ['X509:<SHA1-TP-PUBKEY>AB', 'X509:<SHA1-TP-PUBKEY>AB'],
    ['Ünïcødé', 'Ünïcødé'],
    [Buffer.from([0x77, 0x00, 0xff, 0x2a]), '\\77\\00\\ff\\2a'],
  ];
  for (const [input, expected] of cases) t.equal(escapeFilterValue(input), expected, JSON.stringify(String(input)));
  // Round trip through our parser gives back the exact bytes.
  for (const [input] of cases) {
    const node = parseFilter(`(x=${escapeFilterValue(input)})`);
    t.same(node.type === 'equality' ? node.value : undefined, Buffer.isBuffer(input) ? input : Buffer.from(input, 'utf8'));
  }
});

t.test('parseFilter', async (t) => {
  t.same(parseFilter('(&(objectClass=user)(!(cn=a*b*c)))'), {
    type: 'and',
    filters: [
      { type: 'equality', attribute: 'objectClass', value: Buffer.from('user') },
      { type: 'not', filter: { type: 'substring', attribute: 'cn', initial: Buffer.from('a'), any: [Buffer.from('b')], final: Buffer.from('c') } },
    ],
  });
  t.same(parseFilter('sAMAccountName=dan'), { type: 'equality', attribute: 'sAMAccountName', value: Buffer.from('dan') });
  t.same(parseFilter('(cn=*)'), { type: 'present', attribute: 'cn' });
  const bad = ['', '(', '(cn=a', '(cn=a)(cn=b)', '(&)', '(cn=a\\zz)', '(cn:dn:=x)', '((cn=a))', '(=a)', '(cn=a\0)'];
  for (const f of bad) {
    t.throws(() => parseFilter(f), { code: 'DG_ERR_DIRECTORY_FILTER', name: 'DirectoryError' }, JSON.stringify(f));
  }
  const deep = '(!'.repeat(40) + '(cn=a)' + ')'.repeat(40);
  t.throws(() => parseFilter(deep), /nested too deeply/);
});
