// Tokens made on the spot with the fixture keys: shapes AD FS produces and shapes devicegate refuses.
import t from 'tap';
import { parseSamlToken } from '../../src/saml/index.js';
import { assertionXml, responseXml, signXml, type AssertionSpec } from '../../scripts/fixtures/saml-sign.js';
import { userAssertion } from '../../scripts/fixtures/saml-tokens.js';
import { ADFS, ADFS_CERT, NOW, PAYROLL } from './saml-fixtures.js';

const opts = { trustedSigners: [ADFS_CERT], now: NOW, audience: PAYROLL };
const signed = (spec: AssertionSpec): string => signXml(assertionXml(spec), ADFS);
const alice = (label: string, o: Partial<AssertionSpec> = {}): AssertionSpec => userAssertion(label, 'alice', o);

interface Case {
  readonly name: string;
  readonly xml: () => string;
  /** DG_ERR_* code, or a check on the result. */
  readonly expect: string | ((r: ReturnType<typeof parseSamlToken>) => boolean);
}

const CASES: Case[] = [
  {
    name: 'escaped characters come back unescaped',
    xml: () => signed(alice('escapes', { attributes: [{ name: 'urn:test:dept', values: ['R&D <lab> "x"', ''] }] })),
    expect: (r) => r.claims.filter((c) => c.type === 'urn:test:dept').map((c) => c.value).join('|') === 'R&D <lab> "x"|',
  },
  {
    name: 'a character reference for the signed character',
    xml: () => signed(alice('charref', { attributes: [{ name: 'urn:test:x', values: ['A'] }] })).replace('<AttributeValue>A<', '<AttributeValue>&#x41;<'),
    expect: (r) => r.claims.find((c) => c.type === 'urn:test:x')?.value === 'A',
  },
  {
    name: 'a character reference that changes the value',
    xml: () => signed(alice('charref2', { attributes: [{ name: 'urn:test:x', values: ['A'] }] })).replace('<AttributeValue>A<', '<AttributeValue>&#66;<'),
    expect: 'DG_ERR_SAML_BAD_SIGNATURE',
  },
  {
    name: 'pretty-printed token signed that way',
    xml: () => signXml(assertionXml(alice('pretty')).replace(/></g, '>\n  <'), ADFS),
    expect: (r) => r.subject === 'alice@contoso.com' && r.claims.length === 9,
  },
  {
    name: 'whitespace added after signing',
    xml: () => signed(alice('ws-after')).replace('<AttributeStatement>', '<AttributeStatement>\n'),
    expect: 'DG_ERR_SAML_BAD_SIGNATURE',
  },
  {
    // No <Subject>, so no bearer SubjectConfirmation: the bearer profile requires one.
    name: 'no NameID (no Subject), no AuthnStatement',
    xml: () => signed({ ...alice('bare'), nameId: undefined, authn: undefined }),
    expect: 'DG_ERR_SAML_SUBJECT_CONFIRMATION',
  },
  {
    name: 'bearer SubjectConfirmationData without NotOnOrAfter',
    xml: () => signXml(assertionXml(alice('no-scd-time')).replace(/<SubjectConfirmationData NotOnOrAfter="[^"]*"\/>/, '<SubjectConfirmationData/>'), ADFS),
    expect: 'DG_ERR_SAML_SUBJECT_CONFIRMATION',
  },
  {
    name: 'a holder-of-key confirmation does not count as bearer',
    xml: () => signXml(assertionXml(alice('hok')).replace('urn:oasis:names:tc:SAML:2.0:cm:bearer', 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key'), ADFS),
    expect: 'DG_ERR_SAML_SUBJECT_CONFIRMATION',
  },
  {
    name: 'SubjectConfirmationData expired within the clock skew is still accepted',
    xml: () => signed(alice('scd-skew', { confirmation: { notOnOrAfter: new Date(NOW.getTime() - 60_000).toISOString() } })),
    expect: (r) => r.usableUntil.getTime() === NOW.getTime() - 60_000,
  },
  {
    name: 'no Conditions',
    xml: () => signXml(assertionXml(alice('no-conditions')).replace(/<Conditions[^>]*>.*<\/Conditions>/, ''), ADFS),
    expect: 'DG_ERR_SAML_MALFORMED',
  },
  {
    name: 'NotOnOrAfter before NotBefore',
    xml: () => signed(alice('inverted', { notBefore: '2030-01-01T00:00:00Z', notOnOrAfter: '2026-01-01T00:00:00Z' })),
    expect: 'DG_ERR_SAML_MALFORMED',
  },
  {
    name: 'a date that is not xs:dateTime',
    xml: () => signed(alice('bad-date', { notOnOrAfter: 'tomorrow' })),
    expect: 'DG_ERR_SAML_MALFORMED',
  },
  {
    name: 'two AudienceRestrictions, one without payroll',
    xml: () =>
      signXml(
        assertionXml(alice('two-restrictions')).replace('</AudienceRestriction>', '</AudienceRestriction><AudienceRestriction><Audience>urn:other</Audience></AudienceRestriction>'),
        ADFS,
      ),
    expect: 'DG_ERR_SAML_AUDIENCE_MISMATCH',
  },
  { name: 'no AudienceRestriction while one is asked for', xml: () => signed(alice('no-audience', { audiences: undefined })), expect: 'DG_ERR_SAML_AUDIENCE_MISMATCH' },
  {
    name: 'AttributeValue holding an element',
    xml: () => signXml(assertionXml(alice('element-value')).replace('<AttributeValue>alice@contoso.com</AttributeValue>', '<AttributeValue><b>alice</b></AttributeValue>'), ADFS),
    expect: 'DG_ERR_SAML_UNSUPPORTED',
  },
  {
    name: 'Response with a failure status',
    xml: () => responseXml('failed', signed(alice('failed')), '2025-01-01T00:00:00Z', 'urn:oasis:names:tc:SAML:2.0:status:Requester'),
    expect: 'DG_ERR_SAML_MALFORMED',
  },
  {
    name: 'Response and assertion both signed (two signatures, both verify)',
    xml: () => signXml(responseXml('both', signed(alice('both')), '2025-01-01T00:00:00Z'), { ...ADFS, element: 'Response' }),
    expect: (r) => r.subject === 'alice@contoso.com',
  },
  {
    name: 'double-signed, assertion tampered after both signatures',
    xml: () => signXml(responseXml('both-t', signed(alice('both-t')), '2025-01-01T00:00:00Z'), { ...ADFS, element: 'Response' }).replace('S-1-5-21-2378277246-2682074319-435474115-1106', 'S-1-5-21-2378277246-2682074319-435474115-1107'),
    expect: 'DG_ERR_SAML_BAD_SIGNATURE',
  },
  {
    name: 'three signatures',
    xml: () => {
      const x = signXml(responseXml('three', signed(alice('three')), '2025-01-01T00:00:00Z'), { ...ADFS, element: 'Response' });
      const sig = /<ds:Signature[\s\S]*?<\/ds:Signature>/.exec(x)![0];
      return x.replace('</samlp:Status>', `</samlp:Status>${sig}`);
    },
    expect: 'DG_ERR_SAML_UNSUPPORTED',
  },
  {
    name: 'encrypted assertion',
    xml: () => responseXml('enc', '<EncryptedAssertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion"/>', '2025-01-01T00:00:00Z'),
    expect: 'DG_ERR_SAML_UNSUPPORTED',
  },
  {
    name: 'empty Response',
    xml: () => responseXml('empty', '', '2025-01-01T00:00:00Z'),
    expect: 'DG_ERR_SAML_MALFORMED',
  },
  {
    name: 'signature moved into the Subject',
    xml: () => {
      const x = signed(alice('moved'));
      const sig = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(x)![0];
      return x.replace(sig, '').replace('<Subject>', `<Subject>${sig}`);
    },
    expect: 'DG_ERR_SAML_UNSUPPORTED',
  },
  {
    name: 'HMAC signature method',
    xml: () => signed(alice('hmac')).replace('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2000/09/xmldsig#hmac-sha1'),
    expect: 'DG_ERR_SAML_UNSUPPORTED',
  },
  {
    name: 'RSA-SHA512 (not allow-listed)',
    xml: () => signXml(assertionXml(alice('sha512')), { ...ADFS, signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512' }),
    expect: 'DG_ERR_SAML_UNSUPPORTED',
  },
  {
    name: 'inclusive C14N with comments',
    xml: () => signed(alice('c14n')).replace('<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>', '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"/>'),
    expect: 'DG_ERR_SAML_UNSUPPORTED',
  },
  {
    name: 'Reference pointing elsewhere',
    xml: () => signed(alice('ref')).replace(/URI="#[^"]+"/, 'URI=""'),
    expect: 'DG_ERR_SAML_UNSUPPORTED',
  },
  {
    name: 'SignatureValue corrupted',
    xml: () => signed(alice('sigvalue')).replace(/<ds:SignatureValue>./, '<ds:SignatureValue>A'),
    expect: 'DG_ERR_SAML_BAD_SIGNATURE',
  },
  {
    name: 'KeyInfo removed (the pinned key still verifies)',
    xml: () => signed(alice('no-keyinfo')).replace(/<ds:KeyInfo>.*<\/ds:KeyInfo>/, ''),
    expect: (r) => r.subject === 'alice@contoso.com',
  },
  { name: 'SAML 1.1 assertion', xml: () => '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" MajorVersion="1" MinorVersion="1"/>', expect: 'DG_ERR_SAML_UNSUPPORTED' },
  { name: 'some other XML', xml: () => '<html><body/></html>', expect: 'DG_ERR_SAML_MALFORMED' },
  { name: 'unclosed tag', xml: () => signed(alice('unclosed')).replace('</Assertion>', ''), expect: 'DG_ERR_SAML_MALFORMED' },
  { name: 'trailing element', xml: () => `${signed(alice('trailing'))}<x/>`, expect: 'DG_ERR_SAML_MALFORMED' },
  { name: 'undeclared prefix', xml: () => signed(alice('prefix')).replace('<Subject>', '<Subject><q:x/>'), expect: 'DG_ERR_SAML_MALFORMED' },
  { name: 'CDATA section', xml: () => signed(alice('cdata')).replace('>CONTOSO\\alice<', '><![CDATA[CONTOSO\\alice]]><'), expect: 'DG_ERR_SAML_UNSUPPORTED' },
  { name: 'external entity', xml: () => `<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>${signed(alice('xxe')).replace('>CONTOSO\\alice<', '>&x;<')}`, expect: 'DG_ERR_SAML_UNSUPPORTED' },
  { name: 'not base64', xml: () => 'this is not a token!', expect: 'DG_ERR_SAML_MALFORMED' },
  { name: 'base64 of non-XML', xml: () => Buffer.from('hello').toString('base64'), expect: 'DG_ERR_SAML_MALFORMED' },
  { name: 'base64 of invalid UTF-8', xml: () => Buffer.from([0x3c, 0x61, 0xff, 0xfe, 0x3e]).toString('base64'), expect: 'DG_ERR_SAML_MALFORMED' },
  { name: 'empty', xml: () => '', expect: 'DG_ERR_SAML_MALFORMED' },
  { name: 'larger than 256 KiB', xml: () => `<a>${'x'.repeat(300 * 1024)}</a>`, expect: 'DG_ERR_SAML_MALFORMED' },
];

for (const c of CASES) {
  t.test(c.name, async (t) => {
    const input = c.xml();
    if (typeof c.expect === 'string') {
      t.throws(() => parseSamlToken(input, opts), { code: c.expect, field: 'samlToken', statusCode: 400 });
    } else {
      const r = parseSamlToken(input, opts);
      t.ok(c.expect(r), JSON.stringify(r.claims.map((x) => [x.type, x.value])));
    }
  });
}
