import { X509Certificate } from 'node:crypto';
import { SamlError } from './errors.js';

/** A pinned token-signing certificate (AD FS "Token-signing" certificate, primary or secondary). */
export interface TrustedSigner {
  /** PEM text handed to xml-crypto as the only verification key. */
  readonly pem: string;
  readonly der: Buffer;
  readonly subject: string;
  /**
   * The SAML <Issuer> values this certificate may sign for (farm.json always names them). Undefined
   * only for signers built in code without a binding: then any Issuer is accepted.
   */
  readonly issuers?: readonly string[];
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;

function toSigner(der: Buffer, where: string, issuers: readonly string[] | undefined): TrustedSigner {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    throw new SamlError('DG_ERR_SAML_SIGNER_CONFIG', `${where}: not an X.509 certificate (PEM or DER)`, undefined);
  }
  if (cert.publicKey.asymmetricKeyType !== 'rsa') {
    throw new SamlError('DG_ERR_SAML_SIGNER_CONFIG', `${where}: the token-signing certificate must have an RSA key`, undefined);
  }
  const raw = Buffer.from(cert.raw);
  const b64 = raw.toString('base64').replace(/.{64}/g, '$&\n');
  const pem = `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
  return { pem, der: raw, subject: cert.subject, ...(issuers !== undefined ? { issuers } : {}) };
}

/**
 * Reads token-signing certificates: PEM (one file may hold several, e.g. primary and secondary during
 * rollover) or DER. `where` names the source in messages (a farm.json entry, a file); `issuers` binds
 * each certificate to the SAML Issuer(s) it may sign for.
 */
export function loadTrustedSigners(
  inputs: readonly { readonly where: string; readonly bytes: Buffer | string; readonly issuers?: readonly string[] }[],
): readonly TrustedSigner[] {
  const out: TrustedSigner[] = [];
  for (const { where, bytes, issuers } of inputs) {
    const text = typeof bytes === 'string' ? bytes : bytes.toString('latin1');
    if (text.includes('-----BEGIN')) {
      const blocks = [...text.matchAll(PEM_BLOCK)];
      if (blocks.length === 0) throw new SamlError('DG_ERR_SAML_SIGNER_CONFIG', `${where}: no CERTIFICATE block in the PEM file`, undefined);
      for (const b of blocks) out.push(toSigner(Buffer.from(b[1]!.replace(/\s+/g, ''), 'base64'), where, issuers));
    } else {
      out.push(toSigner(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes, where, issuers));
    }
  }
  return out;
}
