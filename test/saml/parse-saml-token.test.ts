import t from 'tap';
import { REQUEST_CLAIM_TYPES } from '../../src/claims/index.js';
import { loadTrustedSigners, parseSamlToken, SamlError, SAML_CLAIM_PROPERTIES, SAML_CLAIM_TYPES, type SamlToken } from '../../src/saml/index.js';
import { ADFS_CERT, manifestReferenceTime, NOW, PAYROLL, ROGUE_CERT, SID, token, tokenNames, tokenXml } from './saml-fixtures.js';

const ISSUER = 'http://adfs.contoso.com/adfs/services/trust';
const T = REQUEST_CLAIM_TYPES;

/** Every sample token and what devicegate must make of it (at NOW, for payroll, AD FS cert trusted). */
const EXPECT: Record<string, { user: 'alice' | 'bob' } | string> = {
  'alice-assertion': { user: 'alice' },
  'bob-assertion': { user: 'bob' },
  'alice-response': { user: 'alice' },
  'alice-response-signed': { user: 'alice' },
  'alice-sha1': { user: 'alice' },
  expired: 'DG_ERR_SAML_EXPIRED',
  'not-yet-valid': 'DG_ERR_SAML_EXPIRED',
  'wrong-audience': 'DG_ERR_SAML_AUDIENCE_MISMATCH',
  'tampered-value': 'DG_ERR_SAML_BAD_SIGNATURE',
  'other-signer': 'DG_ERR_SAML_UNTRUSTED_SIGNER',
  'other-signer-claiming-adfs': 'DG_ERR_SAML_BAD_SIGNATURE',
  unsigned: 'DG_ERR_SAML_BAD_SIGNATURE',
  'wrapping-sibling': 'DG_ERR_SAML_UNSUPPORTED',
  'wrapping-advice': 'DG_ERR_SAML_UNSUPPORTED',
  'wrapping-id-swap': 'DG_ERR_SAML_BAD_SIGNATURE',
  'comment-injection': 'DG_ERR_SAML_UNSUPPORTED',
  'pi-injection': 'DG_ERR_SAML_UNSUPPORTED',
  doctype: 'DG_ERR_SAML_UNSUPPORTED',
  'alice-double-signed': { user: 'alice' },
  'double-signed-rogue-response': 'DG_ERR_SAML_UNTRUSTED_SIGNER',
  'wrong-issuer': 'DG_ERR_SAML_ISSUER_NOT_ALLOWED',
  'subject-confirmation-expired': 'DG_ERR_SAML_SUBJECT_CONFIRMATION',
  'alice-recipient': { user: 'alice' },
};

/** The AD FS token-signing certificate bound to its Issuer, as farm.json loads it. */
const BOUND = loadTrustedSigners([{ where: 'adfs', bytes: ADFS_CERT, issuers: [ISSUER] }]);

const parse = (name: string, extra: Partial<Parameters<typeof parseSamlToken>[1]> = {}): SamlToken =>
  parseSamlToken(token(name), { trustedSigners: BOUND, now: NOW, audience: PAYROLL, ...extra });

function expectedClaims(user: 'alice' | 'bob'): [string, string, string][] {
  const rid = user === 'alice' ? 1106 : 1107;
  return [
    [SAML_CLAIM_TYPES.nameIdentifier, `${user}@contoso.com`, ISSUER],
    [T.upn, `${user}@contoso.com`, ISSUER],
    [T.name, `CONTOSO\\${user}`, ISSUER],
    [T.primarySid, SID(rid), ISSUER],
    ...(user === 'bob' ? [[T.groupSid, SID(513), ISSUER] as [string, string, string], [T.groupSid, SID(1201), ISSUER] as [string, string, string]] : [[T.groupSid, SID(513), ISSUER] as [string, string, string]]),
    [T.role, 'Payroll Viewers', 'http://fabrikam.com/adfs/services/trust'],
    [T.authnMethodsReferences, 'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/windows', ISSUER],
    [SAML_CLAIM_TYPES.authenticationMethod, 'urn:federation:authentication:windows', ISSUER],
    [SAML_CLAIM_TYPES.authenticationInstant, '2025-01-01T00:00:00.000Z', ISSUER],
  ];
}

t.test('the table covers every generated sample token', async (t) => {
  t.same(tokenNames().sort(), Object.keys(EXPECT).sort());
  t.equal(manifestReferenceTime(), NOW.toISOString());
});

for (const [name, expected] of Object.entries(EXPECT)) {
  t.test(name, async (t) => {
    if (typeof expected === 'string') {
      t.throws(() => parse(name), { code: expected, statusCode: 400, field: 'samlToken' });
      try {
        parse(name);
      } catch (error) {
        t.ok(error instanceof SamlError);
        const message = (error as Error).message;
        t.notMatch(message, /="|<\/|xmlns|SignatureValue|DigestValue|evil/, 'no XML from the token in the message');
        t.ok(message.length < 200, 'short');
        t.notMatch(message, /\n/, 'one line');
      }
      return;
    }
    const r = parse(name);
    t.same(
      r.claims.map((c) => [c.type, c.value, c.originalIssuer]),
      expectedClaims(expected.user),
    );
    t.ok(r.claims.every((c) => c.issuer === ISSUER));
    t.equal(r.issuer, ISSUER);
    t.equal(r.subject, `${expected.user}@contoso.com`);
    t.same([r.notBefore.toISOString(), r.notOnOrAfter.toISOString()], ['2025-01-01T00:00:00.000Z', '2035-01-01T00:00:00.000Z']);
    t.equal(r.signer, 'CN=ADFS Signing - adfs.contoso.com');
    const nameId = r.claims[0]!;
    t.same(nameId.properties, { [SAML_CLAIM_PROPERTIES.format]: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified' });
    const instant = r.claims.find((c) => c.type === SAML_CLAIM_TYPES.authenticationInstant)!;
    t.equal(instant.valueType, 'http://www.w3.org/2001/XMLSchema#dateTime');
    t.equal(r.claims.find((c) => c.type === T.upn)!.valueType, 'http://www.w3.org/2001/XMLSchema#string');
  });
}

t.test('the token is accepted as XML text, base64 with line breaks, and bytes', async (t) => {
  const xml = tokenXml('alice-assertion');
  const b64 = token('alice-assertion');
  const opts = { trustedSigners: [ADFS_CERT], now: NOW, audience: PAYROLL };
  t.equal(parseSamlToken(xml, opts).subject, 'alice@contoso.com');
  t.equal(parseSamlToken(b64.replace(/.{76}/g, '$&\r\n'), opts).subject, 'alice@contoso.com');
  t.equal(parseSamlToken(Buffer.from(xml, 'utf8'), opts).subject, 'alice@contoso.com');
  t.equal(parseSamlToken(`<?xml version="1.0" encoding="utf-8"?>\n${xml}`, opts).subject, 'alice@contoso.com');
});

t.test('signers: several trusted, PEM or DER; none configured', async (t) => {
  const der = Buffer.from(ADFS_CERT.replace(/^#.*\n/, '').replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  t.equal(parse('alice-assertion', { trustedSigners: [ROGUE_CERT, ADFS_CERT] }).subject, 'alice@contoso.com', 'the matching one of two');
  t.equal(parse('alice-assertion', { trustedSigners: [der] }).subject, 'alice@contoso.com', 'DER');
  t.equal(parse('other-signer', { trustedSigners: [ADFS_CERT, ROGUE_CERT] }).subject, 'alice@contoso.com', 'the rogue signer, once trusted, is accepted');
  t.throws(() => parse('alice-assertion', { trustedSigners: [ROGUE_CERT] }), { code: 'DG_ERR_SAML_UNTRUSTED_SIGNER' });
  t.throws(() => parse('alice-assertion', { trustedSigners: [] }), { code: 'DG_ERR_SAML_NO_TRUSTED_SIGNERS', message: /no trusted SAML signers configured/ });
  t.throws(() => parse('alice-assertion', { trustedSigners: ['not a certificate'] }), { code: 'DG_ERR_SAML_SIGNER_CONFIG' });
});

t.test('audience: optional, any of several, every AudienceRestriction must match', async (t) => {
  t.equal(parse('wrong-audience', { audience: undefined }).subject, 'alice@contoso.com', 'no audience asked: not checked');
  t.equal(parse('wrong-audience', { audience: ['urn:contoso:payroll', 'https://intranet.contoso.com/'] }).subject, 'alice@contoso.com');
  t.throws(() => parse('alice-assertion', { audience: ['urn:contoso:payroll'] }), { code: 'DG_ERR_SAML_AUDIENCE_MISMATCH' });
});

t.test('validity window with clock skew (default 300 s)', async (t) => {
  const end = new Date('2035-01-01T00:00:00Z').getTime();
  const start = new Date('2025-01-01T00:00:00Z').getTime();
  const at = (ms: number, skew?: number) => () => parse('alice-assertion', { now: new Date(ms), ...(skew !== undefined ? { clockSkewSec: skew } : {}) });
  t.doesNotThrow(at(end + 299_000));
  t.throws(at(end + 300_000), { code: 'DG_ERR_SAML_EXPIRED' });
  t.throws(at(end, 0), { code: 'DG_ERR_SAML_EXPIRED' }, 'NotOnOrAfter is exclusive');
  t.doesNotThrow(at(end - 1, 0));
  t.doesNotThrow(at(start - 300_000));
  t.throws(at(start - 300_001), { code: 'DG_ERR_SAML_EXPIRED', message: /not valid before 2025-01-01T00:00:00.000Z/ });
  t.doesNotThrow(at(start, 0), 'NotBefore is inclusive');
  t.throws(at(start - 1, 0), { code: 'DG_ERR_SAML_EXPIRED' });
});

t.test('verified tokens are remembered per signer list; time and audience are checked on every use', async (t) => {
  const trusted = loadTrustedSigners([{ where: 'adfs', bytes: ADFS_CERT }]);
  const rogueOnly = loadTrustedSigners([{ where: 'rogue', bytes: ROGUE_CERT }]);
  const b64 = token('alice-assertion');
  const use = (signers: typeof trusted, now: Date, audience = PAYROLL) => () => parseSamlToken(b64, { trustedSigners: signers, now, audience });
  t.equal(use(trusted, NOW)().subject, 'alice@contoso.com');
  t.equal(use(trusted, NOW)().subject, 'alice@contoso.com', 'again, from the cache');
  t.throws(use(trusted, new Date('2040-01-01T00:00:00Z')), { code: 'DG_ERR_SAML_EXPIRED' }, 'a remembered token still expires');
  t.throws(use(trusted, NOW, 'urn:other'), { code: 'DG_ERR_SAML_AUDIENCE_MISMATCH' }, 'and still has its audience');
  t.throws(use(rogueOnly, NOW), { code: 'DG_ERR_SAML_UNTRUSTED_SIGNER' }, 'another signer list (a reload) verifies afresh');
  t.throws(() => parseSamlToken(token('tampered-value'), { trustedSigners: trusted, now: NOW }), { code: 'DG_ERR_SAML_BAD_SIGNATURE' });
  t.throws(() => parseSamlToken(token('tampered-value'), { trustedSigners: trusted, now: NOW }), { code: 'DG_ERR_SAML_BAD_SIGNATURE' }, 'failures are not remembered as successes');
});

t.test('shape limits refuse before any signature work', async (t) => {
  const xml = tokenXml('alice-assertion');
  const deep = xml.replace('<Subject>', `<Subject>${'<x>'.repeat(40)}${'</x>'.repeat(40)}`);
  t.throws(() => parseSamlToken(deep, { trustedSigners: [ADFS_CERT], now: NOW }), { code: 'DG_ERR_SAML_UNSUPPORTED', message: /deeper than 32/ });
  const wide = xml.replace('<AttributeStatement>', `<AttributeStatement>${'<Attribute Name="a"><AttributeValue>v</AttributeValue></Attribute>'.repeat(2600)}`);
  t.throws(() => parseSamlToken(wide, { trustedSigners: [ADFS_CERT], now: NOW }), { code: 'DG_ERR_SAML_UNSUPPORTED', message: /more than 5000 elements/ });
});

t.test('a signer is bound to the Issuer(s) farm.json names for it', async (t) => {
  t.throws(() => parse('wrong-issuer'), { code: 'DG_ERR_SAML_ISSUER_NOT_ALLOWED', message: /Issuer "http:\/\/adfs\.fabrikam\.com\/adfs\/services\/trust" is not one that its signer/ });
  const both = loadTrustedSigners([{ where: 'adfs', bytes: ADFS_CERT, issuers: [ISSUER, 'http://adfs.fabrikam.com/adfs/services/trust'] }]);
  t.equal(parse('wrong-issuer', { trustedSigners: both }).issuer, 'http://adfs.fabrikam.com/adfs/services/trust', 'accepted once that issuer is bound to the signer');
  const other = loadTrustedSigners([{ where: 'adfs', bytes: ADFS_CERT, issuers: ['http://someone.else/'] }]);
  t.throws(() => parse('alice-assertion', { trustedSigners: other }), { code: 'DG_ERR_SAML_ISSUER_NOT_ALLOWED' }, "the genuine token, when the signer is bound to another issuer");
  t.throws(() => parse('alice-double-signed', { trustedSigners: other }), { code: 'DG_ERR_SAML_ISSUER_NOT_ALLOWED' }, 'double-signed tokens too');
});

t.test('bearer SubjectConfirmationData: NotOnOrAfter always, Recipient when recipients are configured', async (t) => {
  t.throws(() => parse('subject-confirmation-expired'), { code: 'DG_ERR_SAML_SUBJECT_CONFIRMATION', message: /expired at 2025-01-01T01:00:00\.000Z/ });
  t.equal(parse('alice-recipient', { recipients: ['https://devicegate.contoso.com/v1/decisions'] }).subject, 'alice@contoso.com');
  t.throws(() => parse('alice-recipient', { recipients: ['https://elsewhere.contoso.com/'] }), { code: 'DG_ERR_SAML_SUBJECT_CONFIRMATION', message: /Recipient is not this service/ });
  t.throws(() => parse('alice-assertion', { recipients: ['https://devicegate.contoso.com/v1/decisions'] }), { code: 'DG_ERR_SAML_SUBJECT_CONFIRMATION', message: /names no Recipient/ });
  const r = parse('alice-assertion');
  t.equal(r.usableUntil.toISOString(), '2035-01-01T00:00:00.000Z');
});

t.test('a double-signed token reads its claims from the signed assertion', async (t) => {
  const r = parse('alice-double-signed');
  t.same(r.claims.map((c) => [c.type, c.value, c.originalIssuer]), expectedClaims('alice'));
});
