// The attacks the sample tokens carry are real: a verifier that only asks xml-crypto "is there a valid
// signature?" accepts them. devicegate must refuse them (or, for mutations, never read other claims).
import t from 'tap';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { SignedXml } from 'xml-crypto';
import { parseSamlToken, SamlError } from '../../src/saml/index.js';
import { ADFS_CERT, NOW, PAYROLL, tokenXml } from './saml-fixtures.js';

const require = createRequire(import.meta.url);
const { DOMParser } = require('@xmldom/xmldom') as { DOMParser: new (o?: object) => { parseFromString(s: string, m: string): unknown } };
const quiet = { errorHandler: { warning: () => undefined, error: () => undefined, fatalError: () => undefined } };

/** What a naive service provider does: find a signature, check it with the pinned key, done. */
function naiveVerify(xml: string): boolean {
  const doc = new DOMParser(quiet).parseFromString(xml, 'text/xml');
  const sig = new SignedXml({ publicCert: ADFS_CERT.slice(ADFS_CERT.indexOf('-----BEGIN')), getCertFromKeyInfo: () => null });
  const signatures = sig.findSignatures(doc as never);
  sig.loadSignature(signatures[0]!);
  try {
    return sig.checkSignature(xml);
  } catch {
    return false;
  }
}

const opts = { trustedSigners: [ADFS_CERT], now: NOW, audience: PAYROLL };

for (const name of ['comment-injection', 'pi-injection', 'wrapping-sibling', 'wrapping-advice']) {
  t.test(`${name}: passes a bare signature check, refused by devicegate`, async (t) => {
    const xml = tokenXml(name);
    t.equal(naiveVerify(xml), true, 'xml-crypto alone calls it validly signed');
    t.throws(() => parseSamlToken(xml, opts), { code: 'DG_ERR_SAML_UNSUPPORTED' });
  });
}

t.test('tampered and swapped tokens fail the signature check itself', async (t) => {
  for (const name of ['tampered-value', 'wrapping-id-swap', 'other-signer-claiming-adfs']) t.equal(naiveVerify(tokenXml(name)), false, name);
});

t.test('a comment-split NameID would read as the short value from the DOM', async (t) => {
  // Why comments are refused: the first text node is "alice@contoso.com", the signed value is longer.
  const xml = tokenXml('comment-injection');
  t.match(xml, />alice@contoso\.com<!---->\.evil\.example</);
  const stripped = xml.replace('<!---->', '');
  t.equal(parseSamlToken(stripped, opts).subject, 'alice@contoso.com.evil.example', 'the value that was actually signed');
});

t.test('any one-character change: refused with a SamlError or read as exactly the signed claims', async (t) => {
  const xml = tokenXml('alice-assertion');
  const signedClaims = JSON.stringify(parseSamlToken(xml, opts).claims);
  const alphabet = ['<', '>', '"', '&', ' ', '\n', 'A', 'x', '0', '/', '=', ':', '#', '-'];
  let accepted = 0;
  fc.assert(
    fc.property(fc.nat(xml.length - 1), fc.constantFrom(...alphabet), fc.constantFrom('replace', 'insert', 'delete'), (at, ch, op) => {
      const mutated = op === 'replace' ? xml.slice(0, at) + ch + xml.slice(at + 1) : op === 'insert' ? xml.slice(0, at) + ch + xml.slice(at) : xml.slice(0, at) + xml.slice(at + 1);
      try {
        const r = parseSamlToken(mutated, opts);
        accepted++;
        return JSON.stringify(r.claims) === signedClaims;
      } catch (error) {
        return error instanceof SamlError;
      }
    }),
    { numRuns: 300, seed: 20261120 },
  );
  t.pass(`300 mutations, ${accepted} still accepted with identical claims`);
});
