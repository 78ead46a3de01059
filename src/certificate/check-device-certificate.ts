import { X509Certificate } from 'node:crypto';
import type { DeviceCertificate } from './device-certificate.js';
import { normalizeDeviceId } from './device-id.js';
import { ISSUER_NAME_FALLBACK_CN, trustAnchors, type IssuerTrust } from './issuer-trust.js';

export type CertificateCheck =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly code: 'expired' | 'not_yet_valid' | 'untrusted_issuer' | 'device_id_mismatch';
      readonly message: string;
    };

export interface CheckOptions {
  readonly trust: IssuerTrust;
  readonly now: Date;
  /** The directory's msDS-DeviceID (any GUID form); subject CN and the .284.2 extension must equal it. */
  readonly deviceId?: string;
}

const OK: CertificateCheck = { ok: true };

/**
 * Building an X509Certificate and verifying its signature costs ~150 µs, so the verdict (which anchor
 * issued it, or none) is remembered per trust value, keyed by the certificate's key string and confirmed
 * by comparing the DER bytes. Bounded: the oldest entries go first.
 */
const CHAIN_CACHE_LIMIT = 10_000;
interface Issuer {
  readonly from: number;
  readonly to: number;
}
const chainVerdicts = new WeakMap<IssuerTrust, Map<string, { der: Buffer; issuer: Issuer | null }>>();
/** The same verdicts by parse object, for the frozen parses the certificate parse cache hands out. */
const parseVerdicts = new WeakMap<IssuerTrust, WeakMap<DeviceCertificate, Issuer | null>>();

/** Validity at `now`, trusted issuer, device ID agreement. Never throws. */
export function checkDeviceCertificate(cert: DeviceCertificate, options: CheckOptions): CertificateCheck {
  const now = options.now.getTime();
  if (Number.isNaN(now)) return fail('expired', 'decision time is not a valid date');
  if (now < cert.notBefore.getTime()) {
    return fail('not_yet_valid', `certificate ${cert.thumbprint} is not valid before ${cert.notBefore.toISOString()}`);
  }
  if (now > cert.notAfter.getTime()) {
    return fail('expired', `certificate ${cert.thumbprint} expired at ${cert.notAfter.toISOString()}`);
  }

  const issuer = checkIssuer(cert, options.trust, options.now);
  if (issuer !== OK) return issuer;

  if (options.deviceId !== undefined) {
    let expected: string;
    try {
      expected = normalizeDeviceId(options.deviceId);
    } catch {
      return fail('device_id_mismatch', 'the directory device ID is not a GUID');
    }
    if (cert.subjectCommonName !== undefined && sameGuid(cert.subjectCommonName, expected) === false) {
      return fail('device_id_mismatch', `certificate subject CN does not match device ID ${expected}`);
    }
    if (cert.deviceIdExtension !== undefined && cert.deviceIdExtension !== expected) {
      return fail('device_id_mismatch', `certificate device ID extension ${cert.deviceIdExtension} does not match device ID ${expected}`);
    }
  }
  return OK;
}

function checkIssuer(cert: DeviceCertificate, trust: IssuerTrust, now: Date): CertificateCheck {
  if (trust.mode === 'name') {
    return cert.issuerCommonName === ISSUER_NAME_FALLBACK_CN
      ? OK
      : fail('untrusted_issuer', `certificate issuer "${cert.issuer}" is not ${ISSUER_NAME_FALLBACK_CN}`);
  }
  // A remembered (frozen) parse carries its verdict with it: no look-up by key, no DER comparison.
  const frozen = Object.isFrozen(cert);
  let byParse = frozen ? parseVerdicts.get(trust) : undefined;
  let issuer: Issuer | null | undefined = byParse?.get(cert);
  if (issuer !== undefined) return issuerValidAt(issuer, cert, now);
  let verdicts = chainVerdicts.get(trust);
  if (verdicts === undefined) {
    verdicts = new Map();
    chainVerdicts.set(trust, verdicts);
  }
  const cached = verdicts.get(cert.altSecurityIdentity);
  if (cached !== undefined && cached.der.equals(cert.der)) {
    issuer = cached.issuer;
  } else {
    const anchor = findIssuer(cert, trust);
    issuer = anchor === null ? null : { from: Date.parse(anchor.validFrom), to: Date.parse(anchor.validTo) };
    if (verdicts.size >= CHAIN_CACHE_LIMIT) verdicts.delete(verdicts.keys().next().value!);
    verdicts.set(cert.altSecurityIdentity, { der: Buffer.from(cert.der), issuer });
  }
  if (frozen) {
    if (byParse === undefined) parseVerdicts.set(trust, (byParse = new WeakMap()));
    byParse.set(cert, issuer);
  }
  return issuerValidAt(issuer, cert, now);
}

function issuerValidAt(issuer: Issuer | null, cert: DeviceCertificate, now: Date): CertificateCheck {
  if (issuer === null) {
    return fail('untrusted_issuer', `certificate issuer "${cert.issuer}" is not a trusted device issuer`);
  }
  const t = now.getTime();
  if (t < issuer.from || t > issuer.to) {
    return fail('untrusted_issuer', `issuer certificate for "${cert.issuer}" is outside its validity period`);
  }
  return OK;
}

function findIssuer(cert: DeviceCertificate, trust: IssuerTrust): X509Certificate | null {
  let x: X509Certificate;
  try {
    x = new X509Certificate(cert.der);
  } catch {
    return null;
  }
  for (const anchor of trustAnchors(trust)) {
    try {
      if (x.checkIssued(anchor) && x.verify(anchor.publicKey)) return anchor;
    } catch {
      // an anchor with an unusable key cannot have issued it
    }
  }
  return null;
}

/** undefined-free comparison: a CN that is not a GUID never matches. */
function sameGuid(cn: string, expected: string): boolean {
  if (cn === expected) return true; // already canonical: the usual case, no normalizing copy
  try {
    return normalizeDeviceId(cn) === expected;
  } catch {
    return false;
  }
}

function fail(code: Exclude<CertificateCheck, { ok: true }>['code'], message: string): CertificateCheck {
  return { ok: false, code, message };
}
