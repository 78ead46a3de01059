/** Every error code the saml folder raises, with the HTTP status it maps to. */
export const SAML_ERROR_CODES = {
  /** Not base64 or XML, not well-formed, or not a SAML 2.0 Assertion / Response of the expected shape. */
  DG_ERR_SAML_MALFORMED: 400,
  /** The XML signature does not verify (missing, tampered content, wrong digest or signature value). */
  DG_ERR_SAML_BAD_SIGNATURE: 400,
  /** Signed by a certificate that is not one of farm.json's samlTrustedSigners. */
  DG_ERR_SAML_UNTRUSTED_SIGNER: 400,
  /** Outside its Conditions NotBefore / NotOnOrAfter window (allowing the clock skew). */
  DG_ERR_SAML_EXPIRED: 400,
  /** Its AudienceRestriction does not name the relying party asked about. */
  DG_ERR_SAML_AUDIENCE_MISMATCH: 400,
  /** A construct devicegate refuses: DOCTYPE, processing instruction, comment, CDATA, several assertions or signatures, encryption, a non-allow-listed algorithm. */
  DG_ERR_SAML_UNSUPPORTED: 400,
  /** A samlToken arrived but farm.json names no samlTrustedSigners. */
  DG_ERR_SAML_NO_TRUSTED_SIGNERS: 400,
  /** A samlTrustedSigners file is not an X.509 certificate with an RSA key (PEM or DER). */
  DG_ERR_SAML_SIGNER_CONFIG: 400,
  /** The token's <Issuer> is not one of the issuers farm.json binds its (trusted) signer to. */
  DG_ERR_SAML_ISSUER_NOT_ALLOWED: 400,
  /** No bearer <SubjectConfirmation> whose SubjectConfirmationData is in time (NotOnOrAfter) and, when farm.json names samlRecipients, for one of them. */
  DG_ERR_SAML_SUBJECT_CONFIRMATION: 400,
  /** The assertion ID was already used for a decision (one-time use; what-if decisions with an explicit time are exempt). */
  DG_ERR_SAML_REPLAYED: 400,
  /** A request carries both samlToken and claims: the user's claims come from the verified token only. */
  DG_ERR_SAML_WITH_CLAIMS: 400,
} as const;

export type SamlErrorCode = keyof typeof SAML_ERROR_CODES;

export class SamlError extends Error {
  override readonly name = 'SamlError';
  readonly code: SamlErrorCode;
  readonly statusCode: number;
  readonly field?: string;

  constructor(code: SamlErrorCode, message: string, field: string | undefined = 'samlToken') {
    super(message);
    this.code = code;
    this.statusCode = SAML_ERROR_CODES[code];
    if (field !== undefined) this.field = field;
  }
}

export function isSamlError(value: unknown): value is SamlError {
  return value instanceof SamlError;
}
