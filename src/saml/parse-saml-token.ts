// SAML 2.0 token intake: verifies an AD FS-issued assertion against pinned token-signing certificates
// and turns it into claims. Built on xml-crypto directly, not saml2-js: saml2-js is a service-provider
// helper (login/logout redirects, post_assert with a callback API, no TypeScript types) that wants an
// IdP/SP configuration and a whole SAML Response; here a caller hands over a single assertion or
// response for a decision, with no SSO flow, so what is needed is its signature check, which is
// xml-crypto. Following xml-crypto's security notes: only the pinned certificates verify
// (getCertFromKeyInfo returns null), algorithms are allow-listed (no HMAC), input with DOCTYPE, PIs,
// comments or CDATA is refused before verifying, and claims are read only from the canonical bytes
// getSignedReferences() returns (re-parsed), never from the document as received.
import { createHash, X509Certificate } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { SignedXml } from 'xml-crypto';
import type { Claim } from '../language/index.js';
import { decodeSamlToken } from './decode-token.js';
import { SamlError } from './errors.js';
import { readAssertion, SAML2_ASSERTION_NS, SAML2_PROTOCOL_NS, type AssertionContent } from './read-assertion.js';
import { loadTrustedSigners, type TrustedSigner } from './trusted-signers.js';
import { attr, childElements, descendants, parseXml, textOf, type XmlElement } from './xml-dom.js';

const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
const SAML1_ASSERTION_NS = 'urn:oasis:names:tc:SAML:1.0:assertion';
const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const SIGNATURE_ALGORITHMS = ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2000/09/xmldsig#rsa-sha1'];
const DIGEST_ALGORITHMS = ['http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2000/09/xmldsig#sha1'];
const TRANSFORMS = [ENVELOPED, EXC_C14N];

export const DEFAULT_CLOCK_SKEW_SEC = 300;

/**
 * Verification costs milliseconds (xml-crypto's XPath and canonicalization), and a client presents the
 * same token for a whole session. What a token's exact bytes verify to under one signer list never
 * changes, so it is kept per signer list (the engine's, replaced on reload); time and audience are
 * checked on every use.
 */
type Verified = AssertionContent & { readonly signer: string };
const VERIFIED = new WeakMap<readonly TrustedSigner[], LRUCache<string, Verified>>();
const VERIFIED_MAX = 1000;

export interface ParseSamlTokenOptions {
  /** Pinned token-signing certificates: loaded signers, or PEM / DER (PEM text may hold several). */
  readonly trustedSigners: readonly (TrustedSigner | string | Buffer)[];
  readonly now: Date;
  /** When given, every AudienceRestriction must name one of these (e.g. the relying party's identifiers). */
  readonly audience?: string | readonly string[];
  /** Allowed clock difference for NotBefore / NotOnOrAfter; default 300 s. */
  readonly clockSkewSec?: number;
  /** When given, a bearer SubjectConfirmationData Recipient must be one of these (devicegate's own URLs). */
  readonly recipients?: readonly string[];
}

export interface SamlToken {
  readonly claims: readonly Claim[];
  readonly issuer: string;
  /** The NameID value, when the assertion has one. */
  readonly subject?: string;
  readonly assertionId: string;
  readonly notBefore: Date;
  readonly notOnOrAfter: Date;
  /** The earlier of Conditions NotOnOrAfter and the accepted bearer SubjectConfirmationData NotOnOrAfter. */
  readonly usableUntil: Date;
  /** Subject DN of the trusted certificate that verified the signature (the assertion's, when both are signed). */
  readonly signer: string;
}

function unsupported(message: string): SamlError {
  return new SamlError('DG_ERR_SAML_UNSUPPORTED', message);
}

function toSigners(input: ParseSamlTokenOptions['trustedSigners']): readonly TrustedSigner[] {
  if (input.every((s): s is TrustedSigner => typeof s === 'object' && !Buffer.isBuffer(s))) return input;
  return input.flatMap((s, i) => (typeof s === 'object' && !Buffer.isBuffer(s) ? [s] : loadTrustedSigners([{ where: `trustedSigners[${i}]`, bytes: s }])));
}

/** The single SAML 2.0 assertion of a token document (the root, or the one inside a Response). */
function findAssertion(root: XmlElement, what: string): XmlElement {
  const isAssertion = root.localName === 'Assertion' && root.namespaceURI === SAML2_ASSERTION_NS;
  const isResponse = root.localName === 'Response' && root.namespaceURI === SAML2_PROTOCOL_NS;
  if (!isAssertion && !isResponse) {
    if (root.localName === 'Assertion' && root.namespaceURI === SAML1_ASSERTION_NS) throw unsupported('SAML 1.1 assertions are not supported; configure the relying party for SAML 2.0');
    throw new SamlError('DG_ERR_SAML_MALFORMED', `${what} is not a SAML 2.0 <Assertion> or <Response>`);
  }
  const all = descendants(root, SAML2_ASSERTION_NS, 'Assertion');
  if (all.length > 1) throw unsupported(`${what} holds more than one <Assertion>`);
  if (isAssertion) return root;
  if (descendants(root, SAML2_ASSERTION_NS, 'EncryptedAssertion').length > 0) throw unsupported('encrypted assertions are not supported');
  const direct = childElements(root, SAML2_ASSERTION_NS, 'Assertion');
  if (direct.length !== 1 || all.length !== 1) throw new SamlError('DG_ERR_SAML_MALFORMED', `${what} is a <Response> without an <Assertion> directly inside it`);
  return direct[0]!;
}

function algorithm(parent: XmlElement, localName: string): string | undefined {
  const el = childElements(parent, DSIG_NS, localName);
  return el.length === 1 ? attr(el[0]!, 'Algorithm') : undefined;
}

/**
 * The token's signatures: one on the <Assertion>, one on the <Response> around it, or both (AD FS
 * SamlResponseSignature MessageAndAssertion); anything else is refused before any crypto runs.
 */
function findSignatures(root: XmlElement, assertion: XmlElement): { onAssertion?: XmlElement; onResponse?: XmlElement } {
  const signatures = descendants(root, DSIG_NS, 'Signature');
  if (signatures.length === 0) throw new SamlError('DG_ERR_SAML_BAD_SIGNATURE', 'samlToken is not signed');
  if (signatures.length > 2) throw unsupported('samlToken has more than two <Signature> elements');
  let onAssertion: XmlElement | undefined;
  let onResponse: XmlElement | undefined;
  for (const signature of signatures) {
    const parent = signature.parentNode as XmlElement | null;
    if (parent === assertion && onAssertion === undefined) onAssertion = signature;
    else if (parent === root && root !== assertion && onResponse === undefined) onResponse = signature;
    else throw unsupported('each <Signature> must sign the <Assertion> or the <Response> it is in (at most one each)');
  }
  return { ...(onAssertion !== undefined ? { onAssertion } : {}), ...(onResponse !== undefined ? { onResponse } : {}) };
}

/** One <Signature>, checked for shape and allow-listed algorithms before any crypto runs. */
function inspectSignature(signature: XmlElement): { signature: XmlElement; signedId: string; keyInfoCert?: Buffer } {
  const parent = signature.parentNode as XmlElement;
  const signedId = attr(parent, 'ID');
  if (signedId === undefined || signedId === '') throw new SamlError('DG_ERR_SAML_MALFORMED', 'the signed element has no ID');

  const signedInfos = childElements(signature, DSIG_NS, 'SignedInfo');
  if (signedInfos.length !== 1) throw new SamlError('DG_ERR_SAML_MALFORMED', 'the <Signature> must have exactly one <SignedInfo>');
  const signedInfo = signedInfos[0]!;
  if (algorithm(signedInfo, 'CanonicalizationMethod') !== EXC_C14N) throw unsupported('the signature canonicalization must be exclusive C14N without comments');
  const method = algorithm(signedInfo, 'SignatureMethod');
  if (method === undefined || !SIGNATURE_ALGORITHMS.includes(method)) throw unsupported('the signature algorithm is not allowed (RSA-SHA256 or RSA-SHA1 only)');
  const references = childElements(signedInfo, DSIG_NS, 'Reference');
  if (references.length !== 1) throw unsupported('the signature must have exactly one <Reference>');
  const reference = references[0]!;
  if (attr(reference, 'URI') !== `#${signedId}`) throw unsupported('the signature <Reference> must point at the element that holds the <Signature>');
  const digest = algorithm(reference, 'DigestMethod');
  if (digest === undefined || !DIGEST_ALGORITHMS.includes(digest)) throw unsupported('the digest algorithm is not allowed (SHA-256 or SHA-1 only)');
  const transformsEl = childElements(reference, DSIG_NS, 'Transforms');
  const transforms = transformsEl.length === 1 ? childElements(transformsEl[0]!, DSIG_NS, 'Transform').map((t) => attr(t, 'Algorithm')) : [];
  if (transformsEl.length > 1 || transforms.some((t) => t === undefined || !TRANSFORMS.includes(t)) || transforms.at(-1) !== EXC_C14N) {
    throw unsupported('the signature transforms must be enveloped-signature and exclusive C14N');
  }

  // KeyInfo is used only to tell "untrusted signer" from "bad signature" in the error; never to verify.
  let keyInfoCert: Buffer | undefined;
  const keyInfo = childElements(signature, DSIG_NS, 'KeyInfo')[0];
  const data = keyInfo !== undefined ? childElements(keyInfo, DSIG_NS, 'X509Data')[0] : undefined;
  const certEl = data !== undefined ? childElements(data, DSIG_NS, 'X509Certificate')[0] : undefined;
  if (certEl !== undefined) keyInfoCert = Buffer.from(textOf(certEl).text.replace(/\s+/g, ''), 'base64');
  return { signature, signedId, ...(keyInfoCert !== undefined ? { keyInfoCert } : {}) };
}

function restrictAlgorithms(sig: SignedXml): void {
  const pick = <T>(map: Record<string, T>, keys: readonly string[]): Record<string, T> =>
    Object.fromEntries(keys.filter((k) => map[k] !== undefined).map((k) => [k, map[k]!]));
  sig.SignatureAlgorithms = pick(sig.SignatureAlgorithms, SIGNATURE_ALGORITHMS);
  sig.HashAlgorithms = pick(sig.HashAlgorithms, DIGEST_ALGORITHMS);
  sig.CanonicalizationAlgorithms = pick(sig.CanonicalizationAlgorithms, TRANSFORMS);
}

/** Verifies with each pinned signer in turn; returns the canonical signed bytes and who signed. */
function verify(xml: string, signature: XmlElement, signers: readonly TrustedSigner[], keyInfoCert: Buffer | undefined): { signed: string; signer: TrustedSigner } {
  // The certificate the token names goes first (AD FS always sends it); the others are still tried.
  const ordered = keyInfoCert === undefined ? signers : [...signers].sort((a, b) => Number(b.der.equals(keyInfoCert)) - Number(a.der.equals(keyInfoCert)));
  for (const signer of ordered) {
    const sig = new SignedXml({ publicCert: signer.pem, getCertFromKeyInfo: () => null });
    restrictAlgorithms(sig);
    let valid: boolean;
    try {
      sig.loadSignature(signature as never);
      valid = sig.checkSignature(xml);
    } catch (error) {
      // Only a wrong signature value means "try the next key"; anything else is final.
      if (String((error as Error).message).startsWith('invalid signature: the signature value')) continue;
      throw new SamlError('DG_ERR_SAML_BAD_SIGNATURE', 'the samlToken signature cannot be verified');
    }
    if (!valid) throw new SamlError('DG_ERR_SAML_BAD_SIGNATURE', 'the samlToken content does not match its signature (digest mismatch)');
    const refs = sig.getSignedReferences();
    if (refs.length !== 1) throw new SamlError('DG_ERR_SAML_BAD_SIGNATURE', 'the samlToken signature covers an unexpected number of references');
    return { signed: refs[0]!, signer };
  }
  if (keyInfoCert !== undefined && !signers.some((s) => s.der.equals(keyInfoCert))) {
    let who = 'a certificate';
    try {
      who = `"${new X509Certificate(keyInfoCert).subject.replace(/\n/g, ', ').replace(/[^\x20-\x7e]/g, '?').slice(0, 160)}"`;
    } catch {
      // not a certificate: the generic wording
    }
    throw new SamlError('DG_ERR_SAML_UNTRUSTED_SIGNER', `samlToken is signed by ${who}, which is not one of farm.json's samlTrustedSigners`);
  }
  throw new SamlError('DG_ERR_SAML_BAD_SIGNATURE', 'the samlToken signature does not verify with any trusted SAML signer');
}

/**
 * Verifies a SAML 2.0 token (an <Assertion>, or a <Response> holding one) and returns its claims.
 * Throws SamlError (DG_ERR_SAML_*, HTTP 400, field samlToken); messages never echo the XML.
 */
export function parseSamlToken(input: string | Buffer, options: ParseSamlTokenOptions): SamlToken {
  try {
    return parse(input, options);
  } catch (error) {
    if (error instanceof SamlError) throw error;
    // A parser or xml-crypto failure on odd input is still bad input, never a 500.
    throw new SamlError('DG_ERR_SAML_MALFORMED', 'samlToken could not be read as a SAML 2.0 token');
  }
}

function parse(input: string | Buffer, options: ParseSamlTokenOptions): SamlToken {
  const signers = toSigners(options.trustedSigners);
  if (signers.length === 0) throw new SamlError('DG_ERR_SAML_NO_TRUSTED_SIGNERS', 'no trusted SAML signers configured (farm.json "samlTrustedSigners")');
  // Only a caller-held list of loaded signers is a stable cache key (toSigners returns it as is).
  let cache: LRUCache<string, Verified> | undefined;
  let key: string | undefined;
  if (signers === options.trustedSigners) {
    cache = VERIFIED.get(signers);
    if (cache === undefined) VERIFIED.set(signers, (cache = new LRUCache<string, Verified>({ max: VERIFIED_MAX })));
    key = createHash('sha256').update(input).digest('base64');
  }
  let content = cache?.get(key!);
  if (content === undefined) {
    content = verifyToken(input, signers);
    cache?.set(key!, content);
  }
  return check(content, options);
}

function verifyToken(input: string | Buffer, signers: readonly TrustedSigner[]): Verified {
  const xml = decodeSamlToken(input);
  const doc = parseXml(xml, 'samlToken');
  const root = doc.documentElement!;
  const assertion = findAssertion(root, 'samlToken');
  if (root !== assertion) {
    // Read from the unsigned document only to refuse, never to accept.
    const status = childElements(root, SAML2_PROTOCOL_NS, 'Status')[0];
    const code = status !== undefined ? childElements(status, SAML2_PROTOCOL_NS, 'StatusCode')[0] : undefined;
    if (code !== undefined && attr(code, 'Value') !== STATUS_SUCCESS) throw new SamlError('DG_ERR_SAML_MALFORMED', 'the SAML <Response> status is not Success');
  }
  const { onAssertion, onResponse } = findSignatures(root, assertion);
  // Every signature present must verify; the assertion is read from the innermost signed bytes.
  const checked = [onResponse, onAssertion].filter((s): s is XmlElement => s !== undefined).map((element) => {
    const { signature, signedId, keyInfoCert } = inspectSignature(element);
    const { signed, signer } = verify(xml, signature, signers, keyInfoCert);
    // From here on only the signed canonical bytes count.
    const signedRoot = parseXml(signed, 'the signed part of samlToken').documentElement!;
    if (attr(signedRoot, 'ID') !== signedId) throw new SamlError('DG_ERR_SAML_BAD_SIGNATURE', 'the signed element is not the one the token presents');
    return { signedRoot, signer };
  });
  const innermost = checked.at(-1)!;
  const content = readAssertion(findAssertion(innermost.signedRoot, 'the signed part of samlToken'));
  // Each signer may sign only for the Issuer(s) farm.json binds it to (a trusted key is not a licence to be any issuer).
  for (const { signer } of checked) {
    if (signer.issuers !== undefined && !signer.issuers.includes(content.issuer)) {
      throw new SamlError(
        'DG_ERR_SAML_ISSUER_NOT_ALLOWED',
        `samlToken Issuer "${printable(content.issuer)}" is not one that its signer "${printable(signer.subject)}" may sign for (farm.json samlTrustedSigners issuers)`,
      );
    }
  }
  return { ...content, signer: innermost.signer.subject.replace(/\n/g, ', ') };
}

function printable(s: string): string {
  return s.replace(/\n/g, ', ').replace(/[^\x20-\x7e]/g, '?').slice(0, 160);
}

function check(content: Verified, options: ParseSamlTokenOptions): SamlToken {
  const skewMs = (options.clockSkewSec ?? DEFAULT_CLOCK_SKEW_SEC) * 1000;
  const now = options.now.getTime();
  if (now + skewMs < content.notBefore.getTime()) throw new SamlError('DG_ERR_SAML_EXPIRED', `samlToken is not valid before ${content.notBefore.toISOString()}`);
  if (now - skewMs >= content.notOnOrAfter.getTime()) throw new SamlError('DG_ERR_SAML_EXPIRED', `samlToken expired at ${content.notOnOrAfter.toISOString()}`);

  // SAML profiles 4.1.4.2: a bearer SubjectConfirmation whose data has NotOnOrAfter (in time) and,
  // when we know our own URL, our Recipient.
  if (content.bearerConfirmations.length === 0) throw new SamlError('DG_ERR_SAML_SUBJECT_CONFIRMATION', 'samlToken has no bearer <SubjectConfirmation>');
  let confirmedUntil: number | undefined;
  let why = 'its bearer SubjectConfirmationData has no NotOnOrAfter';
  for (const c of content.bearerConfirmations) {
    if (c.notOnOrAfter === undefined) continue;
    if (now - skewMs >= c.notOnOrAfter.getTime()) {
      why = `its bearer SubjectConfirmationData expired at ${c.notOnOrAfter.toISOString()}`;
      continue;
    }
    if (options.recipients !== undefined && (c.recipient === undefined || !options.recipients.includes(c.recipient))) {
      why = c.recipient === undefined ? 'its bearer SubjectConfirmationData names no Recipient' : 'its bearer SubjectConfirmationData Recipient is not this service (farm.json samlRecipients)';
      continue;
    }
    confirmedUntil = Math.max(confirmedUntil ?? 0, c.notOnOrAfter.getTime());
  }
  if (confirmedUntil === undefined) throw new SamlError('DG_ERR_SAML_SUBJECT_CONFIRMATION', `samlToken subject cannot be confirmed: ${why}`);

  if (options.audience !== undefined) {
    const wanted = typeof options.audience === 'string' ? [options.audience] : options.audience;
    if (content.audienceRestrictions.length === 0) throw new SamlError('DG_ERR_SAML_AUDIENCE_MISMATCH', 'samlToken has no AudienceRestriction');
    for (const audiences of content.audienceRestrictions) {
      if (!audiences.some((a) => wanted.includes(a))) throw new SamlError('DG_ERR_SAML_AUDIENCE_MISMATCH', 'samlToken was issued for a different audience than this relying party');
    }
  }

  return {
    claims: content.claims,
    issuer: content.issuer,
    ...(content.subject !== undefined ? { subject: content.subject } : {}),
    assertionId: content.id,
    notBefore: content.notBefore,
    notOnOrAfter: content.notOnOrAfter,
    usableUntil: new Date(Math.min(confirmedUntil, content.notOnOrAfter.getTime())),
    signer: content.signer,
  };
}
