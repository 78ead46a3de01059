import { CertificateError } from './errors.js';

const FIELD = 'device.thumbprint';

/**
 * `db6e...`, `DB:6E:...`, `db 6e ...` -> 40 upper-case hex digits. Only colons and spaces are
 * removed; anything else that is not hex is refused (the value ends up in an LDAP filter).
 */
export function normalizeThumbprint(input: string): string {
  if (typeof input !== 'string') throw new CertificateError('DG_ERR_CERT_THUMBPRINT', 'thumbprint must be a string', FIELD);
  const compact = input.trim().replace(/[: ]/g, '');
  if (compact.length === 0) throw new CertificateError('DG_ERR_CERT_THUMBPRINT', 'thumbprint is empty', FIELD);
  const bad = /[^0-9A-Fa-f]/.exec(compact);
  if (bad) {
    throw new CertificateError(
      'DG_ERR_CERT_THUMBPRINT',
      `thumbprint must be hex digits (optionally colon or space separated); found ${describeChar(bad[0])} at position ${bad.index + 1}`,
      FIELD,
    );
  }
  if (compact.length !== 40) {
    throw new CertificateError(
      'DG_ERR_CERT_THUMBPRINT',
      `thumbprint must be 40 hex digits (SHA-1), got ${compact.length}`,
      FIELD,
    );
  }
  return compact.toUpperCase();
}

/** Printable characters quoted, others as U+XXXX, so a message never carries control bytes. */
function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  return cp > 0x20 && cp < 0x7f ? `"${ch}"` : `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}
