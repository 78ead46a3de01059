import { X509Certificate } from 'node:crypto';
import { certificateDer } from './device-certificate.js';
import { CertificateError } from './errors.js';

/**
 * Trusted device issuers. `chain`: the certificate must be issued and signed by one of the anchors.
 * `name`: no CA certificate is known, so only the issuer CN is compared with ISSUER_NAME_FALLBACK_CN
 * (the caller logs a warning at start).
 */
export interface IssuerTrust {
  readonly mode: 'chain' | 'name';
  readonly anchors: number;
}

export const ISSUER_NAME_FALLBACK_CN = 'MS-Organization-Access';

/** The anchor certificates behind a trust value; kept off the public shape so it stays plain data. */
const anchorsOf = new WeakMap<IssuerTrust, readonly X509Certificate[]>();

export function trustAnchors(trust: IssuerTrust): readonly X509Certificate[] {
  return anchorsOf.get(trust) ?? [];
}

/**
 * CA certificates (PEM, possibly several blocks per string, or DER) from farm.json or the directory's
 * msDS-IssuerPublicCertificates / msDS-CloudIssuerPublicCertificates. Duplicates are dropped.
 * Throws CertificateError DG_ERR_CERT_ANCHOR for an unreadable CA certificate.
 */
export function buildIssuerTrust(caCertificates: readonly (string | Buffer)[]): IssuerTrust {
  const anchors: X509Certificate[] = [];
  const seen = new Set<string>();
  caCertificates.forEach((input, index) => {
    for (const der of splitCertificates(input, index)) {
      let x: X509Certificate;
      try {
        x = new X509Certificate(der);
      } catch {
        throw new CertificateError('DG_ERR_CERT_ANCHOR', `trusted issuer certificate #${index + 1} is not a valid X.509 certificate`);
      }
      if (!seen.has(x.fingerprint256)) {
        seen.add(x.fingerprint256);
        anchors.push(x);
      }
    }
  });
  const trust: IssuerTrust = { mode: anchors.length > 0 ? 'chain' : 'name', anchors: anchors.length };
  anchorsOf.set(trust, anchors);
  return trust;
}

function splitCertificates(input: string | Buffer, index: number): Buffer[] {
  const text = typeof input === 'string' ? input : input[0] === 0x30 ? undefined : input.toString('latin1');
  try {
    if (text !== undefined && text.includes('-----BEGIN CERTIFICATE-----')) {
      return (text.match(/-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g) ?? []).map((b) => certificateDer(b));
    }
    return [certificateDer(input)];
  } catch {
    throw new CertificateError('DG_ERR_CERT_ANCHOR', `trusted issuer certificate #${index + 1} is not PEM or DER`);
  }
}
