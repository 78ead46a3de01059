/** Every error code the certificate folder raises, with the HTTP status it maps to. */
export const CERTIFICATE_ERROR_CODES = {
  /** Not a PEM, DER or base64-DER X.509 certificate (or truncated / trailing bytes). */
  DG_ERR_CERT_MALFORMED: 400,
  /** A well-formed certificate whose public key is not RSA (device keys are RSA-2048). */
  DG_ERR_CERT_NOT_RSA: 400,
  /** A thumbprint that is not 40 hex digits (after removing colons and spaces). */
  DG_ERR_CERT_THUMBPRINT: 400,
  /** A device ID that is not a GUID. */
  DG_ERR_CERT_DEVICE_ID: 400,
  /** A trusted-issuer (CA) certificate that cannot be read (farm.json or msDS-IssuerPublicCertificates). */
  DG_ERR_CERT_ANCHOR: 400,
} as const;

export type CertificateErrorCode = keyof typeof CERTIFICATE_ERROR_CODES;

export class CertificateError extends Error {
  override readonly name = 'CertificateError';
  readonly code: CertificateErrorCode;
  readonly statusCode: number;
  readonly field?: string;

  constructor(code: CertificateErrorCode, message: string, field?: string) {
    super(message);
    this.code = code;
    this.statusCode = CERTIFICATE_ERROR_CODES[code];
    if (field !== undefined) this.field = field;
  }
}

export function isCertificateError(value: unknown): value is CertificateError {
  return value instanceof CertificateError;
}
