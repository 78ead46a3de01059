import { makeClaim, type Claim } from '../language/index.js';
import { SamlError } from './errors.js';
import { attr, childElements, textOf, type XmlElement } from './xml-dom.js';

export const SAML2_ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const SAML2_PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
/** AD FS writes `a:OriginalIssuer` on <Attribute> in this namespace. */
export const CLAIMS_2009_NS = 'http://schemas.xmlsoap.org/ws/2009/09/identity/claims';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
const XS_NS = 'http://www.w3.org/2001/XMLSchema';

export const SAML_CLAIM_TYPES = {
  nameIdentifier: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier',
  authenticationMethod: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod',
  authenticationInstant: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationinstant',
} as const;

export const SAML_CLAIM_PROPERTIES = {
  format: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claimproperties/format',
  nameQualifier: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claimproperties/namequalifier',
  spNameQualifier: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claimproperties/spnamequalifier',
} as const;

const DATE_TIME_TYPE = `${XS_NS}#dateTime`;
const XS_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

/** A bearer <SubjectConfirmation>'s <SubjectConfirmationData> (SAML profiles 4.1.4.2). */
export interface BearerConfirmation {
  readonly notOnOrAfter?: Date;
  readonly recipient?: string;
}

export interface AssertionContent {
  readonly id: string;
  readonly issuer: string;
  readonly subject?: string;
  readonly notBefore: Date;
  readonly notOnOrAfter: Date;
  /** One entry per <AudienceRestriction>; each must contain the audience (SAML core 2.5.1.4). */
  readonly audienceRestrictions: readonly (readonly string[])[];
  /** The bearer subject confirmations (other methods are not read). */
  readonly bearerConfirmations: readonly BearerConfirmation[];
  readonly claims: readonly Claim[];
}

function malformed(message: string): SamlError {
  return new SamlError('DG_ERR_SAML_MALFORMED', message);
}

function one(parent: XmlElement, localName: string, required: true): XmlElement;
function one(parent: XmlElement, localName: string, required: false): XmlElement | undefined;
function one(parent: XmlElement, localName: string, required: boolean): XmlElement | undefined {
  const found = childElements(parent, SAML2_ASSERTION_NS, localName);
  if (found.length > 1) throw malformed(`the assertion has more than one <${localName}>`);
  if (found.length === 0 && required) throw malformed(`the assertion has no <${localName}>`);
  return found[0];
}

function plainText(el: XmlElement, what: string): string {
  const { text, elements } = textOf(el);
  if (elements) throw new SamlError('DG_ERR_SAML_UNSUPPORTED', `${what} holds XML elements, not text`);
  return text;
}

export function parseDateTime(value: string | undefined, what: string): Date {
  const t = value !== undefined && XS_DATE_TIME.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(t)) throw malformed(`${what} is not an xs:dateTime`);
  return new Date(t);
}

/** xsi:type="xs:dateTime" -> the XMLSchema URI AD FS uses as the claim's ValueType. */
function valueTypeOf(value: XmlElement): string | undefined {
  const type = value.getAttributeNS(XSI_NS, 'type');
  if (type === '') return undefined;
  const colon = type.indexOf(':');
  const prefix = colon < 0 ? null : type.slice(0, colon);
  return value.lookupNamespaceURI(prefix) === XS_NS ? `${XS_NS}#${type.slice(colon + 1)}` : undefined;
}

/**
 * Reads a SAML 2.0 <Assertion> element, which must come from the signed canonical bytes, into
 * claims the way AD FS does for a claims provider's token: each <Attribute Name> value becomes a
 * claim of that type, NameID the nameidentifier claim (Format and qualifiers as properties), the
 * AuthnStatement the authenticationmethod / authenticationinstant claims.
 */
export function readAssertion(assertion: XmlElement): AssertionContent {
  if (attr(assertion, 'Version') !== '2.0') throw malformed('the assertion is not SAML Version 2.0');
  const id = attr(assertion, 'ID');
  if (id === undefined || id === '') throw malformed('the assertion has no ID');
  parseDateTime(attr(assertion, 'IssueInstant'), 'the assertion IssueInstant');
  const issuer = plainText(one(assertion, 'Issuer', true), '<Issuer>').trim();
  if (issuer === '') throw malformed('the assertion <Issuer> is empty');

  const claims: Claim[] = [];
  let subject: string | undefined;
  const bearerConfirmations: BearerConfirmation[] = [];
  const subjectEl = one(assertion, 'Subject', false);
  if (subjectEl !== undefined) {
    for (const confirmation of childElements(subjectEl, SAML2_ASSERTION_NS, 'SubjectConfirmation')) {
      if (attr(confirmation, 'Method') !== BEARER) continue;
      const data = childElements(confirmation, SAML2_ASSERTION_NS, 'SubjectConfirmationData');
      if (data.length > 1) throw malformed('a <SubjectConfirmation> has more than one <SubjectConfirmationData>');
      const d = data[0];
      const until = d !== undefined ? attr(d, 'NotOnOrAfter') : undefined;
      const recipient = d !== undefined ? attr(d, 'Recipient') : undefined;
      bearerConfirmations.push({
        ...(until !== undefined ? { notOnOrAfter: parseDateTime(until, 'SubjectConfirmationData NotOnOrAfter') } : {}),
        ...(recipient !== undefined ? { recipient } : {}),
      });
    }
    if (childElements(subjectEl, SAML2_ASSERTION_NS, 'EncryptedID').length > 0) throw new SamlError('DG_ERR_SAML_UNSUPPORTED', 'encrypted NameIDs are not supported');
    const ids = childElements(subjectEl, SAML2_ASSERTION_NS, 'NameID');
    if (ids.length > 1) throw malformed('the assertion <Subject> has more than one <NameID>');
    const nameId = ids[0];
    if (nameId !== undefined) {
      subject = plainText(nameId, '<NameID>');
      const properties: Record<string, string> = {};
      const format = attr(nameId, 'Format');
      if (format !== undefined) properties[SAML_CLAIM_PROPERTIES.format] = format;
      const nq = attr(nameId, 'NameQualifier');
      if (nq !== undefined) properties[SAML_CLAIM_PROPERTIES.nameQualifier] = nq;
      const spnq = attr(nameId, 'SPNameQualifier');
      if (spnq !== undefined) properties[SAML_CLAIM_PROPERTIES.spNameQualifier] = spnq;
      claims.push(makeClaim({ type: SAML_CLAIM_TYPES.nameIdentifier, value: subject, issuer, properties }));
    }
  }

  const conditions = one(assertion, 'Conditions', false);
  if (conditions === undefined) throw malformed('the assertion has no <Conditions> (validity window)');
  const notBefore = parseDateTime(attr(conditions, 'NotBefore'), 'Conditions NotBefore');
  const notOnOrAfter = parseDateTime(attr(conditions, 'NotOnOrAfter'), 'Conditions NotOnOrAfter');
  if (notOnOrAfter.getTime() <= notBefore.getTime()) throw malformed('Conditions NotOnOrAfter is not after NotBefore');
  const audienceRestrictions = childElements(conditions, SAML2_ASSERTION_NS, 'AudienceRestriction').map((r) =>
    childElements(r, SAML2_ASSERTION_NS, 'Audience').map((a) => plainText(a, '<Audience>').trim()),
  );

  for (const statement of childElements(assertion, SAML2_ASSERTION_NS, 'AttributeStatement')) {
    if (childElements(statement, SAML2_ASSERTION_NS, 'EncryptedAttribute').length > 0) throw new SamlError('DG_ERR_SAML_UNSUPPORTED', 'encrypted attributes are not supported');
    for (const attribute of childElements(statement, SAML2_ASSERTION_NS, 'Attribute')) {
      const type = attr(attribute, 'Name');
      if (type === undefined || type === '') throw malformed('an <Attribute> has no Name');
      const original = attribute.getAttributeNS(CLAIMS_2009_NS, 'OriginalIssuer');
      const originalIssuer = original !== '' ? original : issuer;
      for (const value of childElements(attribute, SAML2_ASSERTION_NS, 'AttributeValue')) {
        if (value.getAttributeNS(XSI_NS, 'nil') === 'true') continue;
        claims.push(makeClaim({ type, value: plainText(value, `<AttributeValue> of ${type}`), valueType: valueTypeOf(value), issuer, originalIssuer }));
      }
    }
  }

  for (const authn of childElements(assertion, SAML2_ASSERTION_NS, 'AuthnStatement')) {
    const instant = attr(authn, 'AuthnInstant');
    parseDateTime(instant, 'AuthnStatement AuthnInstant');
    const context = childElements(authn, SAML2_ASSERTION_NS, 'AuthnContext')[0];
    const classRef = context !== undefined ? childElements(context, SAML2_ASSERTION_NS, 'AuthnContextClassRef')[0] : undefined;
    if (classRef !== undefined) {
      claims.push(makeClaim({ type: SAML_CLAIM_TYPES.authenticationMethod, value: plainText(classRef, '<AuthnContextClassRef>').trim(), issuer }));
    }
    claims.push(makeClaim({ type: SAML_CLAIM_TYPES.authenticationInstant, value: instant!, valueType: DATE_TIME_TYPE, issuer }));
  }

  return { id, issuer, ...(subject !== undefined ? { subject } : {}), notBefore, notOnOrAfter, audienceRestrictions, bearerConfirmations, claims };
}
