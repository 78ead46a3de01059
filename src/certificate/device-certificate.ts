/*
 * Which parser does what, and why:
 * - node:crypto X509Certificate (OpenSSL, native) validates the DER, yields the public key (exported as
 *   PKCS#1 for the key hash) and later does checkIssued + signature verify for chains. It is an order of
 *   magnitude faster than forge's pure-JS RSA and accepts real-world quirks (negative serial).
 * - node-forge asn1 walks the TBSCertificate for what X509Certificate does not expose: the raw extension
 *   list (device ID `1.2.840.113556.1.5.284.2`, an OCTET STRING wrapping an OCTET STRING, non-minimal
 *   length allowed), the name attributes (CN of subject and issuer, multi-valued RDNs kept as one RDN) and
 *   the exact validity times. forge.pki.certificateFromAsn1 is not used: it refuses non-RSA keys and
 *   converts the key to JS big integers we never need.
 */
import { X509Certificate, createHash } from 'node:crypto';
import forge from 'node-forge';
import { bytesToGuid } from './device-id.js';
import { CertificateError } from './errors.js';

export interface DeviceCertificate {
  readonly der: Buffer;
  /** 40 upper-case hex digits: SHA-1 over the DER certificate. */
  readonly thumbprint: string;
  /** Base64 SHA-256 over the PKCS#1 RSAPublicKey DER. */
  readonly publicKeyHash: string;
  /** `X509:<SHA1-TP-PUBKEY>` + thumbprint + publicKeyHash. */
  readonly altSecurityIdentity: string;
  /** RFC 4514-style text (most significant RDN last, multi-valued RDNs joined with `+`), for messages. */
  readonly subject: string;
  readonly issuer: string;
  readonly subjectCommonName?: string;
  /** CN of the issuer name (used by the name-only issuer check). */
  readonly issuerCommonName?: string;
  /** Lower-case hyphenated GUID from extension 1.2.840.113556.1.5.284.2, when present. */
  readonly deviceIdExtension?: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export const ALT_SECURITY_IDENTITY_PREFIX = 'X509:<SHA1-TP-PUBKEY>';
export const DEVICE_ID_EXTENSION_OID = '1.2.840.113556.1.5.284.2';

const FIELD = 'device.certificate';
const MAX_DER_BYTES = 64 * 1024;
const PEM_RE = /-----BEGIN CERTIFICATE-----([^-]*)-----END CERTIFICATE-----/;
const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

/** The OpenSSL object behind a parsed certificate, kept for chain checks without re-parsing. */
const x509s = new WeakMap<DeviceCertificate, X509Certificate>();

export function x509Of(cert: DeviceCertificate): X509Certificate {
  let x = x509s.get(cert);
  if (x === undefined) {
    x = new X509Certificate(cert.der);
    x509s.set(cert, x);
  }
  return x;
}

function malformed(message: string): CertificateError {
  return new CertificateError('DG_ERR_CERT_MALFORMED', message, FIELD);
}

/** PEM (leading text allowed), DER bytes, or base64 DER without armour -> DER bytes. */
export function certificateDer(input: string | Buffer | Uint8Array): Buffer {
  if (typeof input !== 'string') {
    if (!(input instanceof Uint8Array)) throw malformed('certificate must be PEM text, base64 DER or DER bytes');
    const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    if (bytes.length === 0) throw malformed('certificate is empty');
    if (bytes[0] === 0x30) return bytes;
    return certificateDer(bytes.toString('latin1'));
  }
  if (input.trim().length === 0) throw malformed('certificate is empty');
  let body: string;
  if (input.includes('-----BEGIN')) {
    const m = PEM_RE.exec(input);
    if (!m) {
      throw malformed(
        input.includes('-----BEGIN CERTIFICATE-----')
          ? 'certificate PEM has no matching END CERTIFICATE line'
          : 'PEM text holds no CERTIFICATE block (a key or request is not a certificate)',
      );
    }
    body = m[1]!;
  } else {
    body = input;
  }
  const compact = body.replace(/\s+/g, '');
  if (!BASE64_RE.test(compact) || compact.length % 4 === 1) {
    throw malformed('certificate is neither PEM nor base64 DER (unexpected characters)');
  }
  const der = Buffer.from(compact, 'base64');
  if (der[0] !== 0x30) throw malformed('certificate is neither PEM nor base64 DER (does not decode to a DER SEQUENCE)');
  return der;
}

/** Reads a device certificate; throws CertificateError DG_ERR_CERT_MALFORMED or DG_ERR_CERT_NOT_RSA. */
export function parseDeviceCertificate(input: string | Buffer): DeviceCertificate {
  const der = certificateDer(input);
  if (der.length > MAX_DER_BYTES) throw malformed(`certificate is larger than ${MAX_DER_BYTES} bytes`);

  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch {
    throw malformed('certificate is not a valid X.509 DER structure (truncated or corrupt)');
  }
  if (x509.raw.length !== der.length) throw malformed('certificate has trailing bytes after the DER structure');

  const keyType = x509.publicKey.asymmetricKeyType;
  if (keyType !== 'rsa') {
    throw new CertificateError(
      'DG_ERR_CERT_NOT_RSA',
      `certificate key is ${keyType ?? 'of an unknown type'}, device certificates carry RSA keys`,
      FIELD,
    );
  }
  const tbs = readTbs(der);
  const thumbprint = createHash('sha1').update(der).digest('hex').toUpperCase();
  const publicKeyHash = createHash('sha256')
    .update(x509.publicKey.export({ type: 'pkcs1', format: 'der' }))
    .digest('base64');

  const cert: DeviceCertificate = {
    der,
    thumbprint,
    publicKeyHash,
    altSecurityIdentity: ALT_SECURITY_IDENTITY_PREFIX + thumbprint + publicKeyHash,
    subject: tbs.subject.text,
    issuer: tbs.issuer.text,
    ...(tbs.subject.cn !== undefined && { subjectCommonName: tbs.subject.cn }),
    ...(tbs.issuer.cn !== undefined && { issuerCommonName: tbs.issuer.cn }),
    ...(tbs.deviceId !== undefined && { deviceIdExtension: tbs.deviceId }),
    notBefore: tbs.notBefore,
    notAfter: tbs.notAfter,
  };
  x509s.set(cert, x509);
  return cert;
}

// ---- TBSCertificate walk (forge asn1) ----

type Asn1 = forge.asn1.Asn1;
const { Class, Type } = forge.asn1;

interface NameInfo {
  readonly text: string;
  readonly cn?: string;
}
interface TbsInfo {
  readonly subject: NameInfo;
  readonly issuer: NameInfo;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly deviceId?: string;
}

const FROM_DER_OPTIONS = { strict: true, parseAllBytes: true, decodeBitStrings: false };

function fromDer(bytes: string): Asn1 {
  // The typings only know the boolean form; forge 1.x takes an options object.
  return (forge.asn1.fromDer as unknown as (b: forge.util.ByteBuffer, o: typeof FROM_DER_OPTIONS) => Asn1)(
    forge.util.createBuffer(bytes),
    FROM_DER_OPTIONS,
  );
}

function children(node: Asn1 | undefined): Asn1[] {
  return node !== undefined && Array.isArray(node.value) ? node.value : [];
}

function readTbs(der: Buffer): TbsInfo {
  let root: Asn1;
  try {
    root = fromDer(der.toString('binary'));
  } catch {
    throw malformed('certificate is not a valid X.509 DER structure');
  }
  const fields = children(children(root)[0]);
  // Optional [0] version comes first; the six mandatory fields follow.
  const start = fields[0]?.tagClass === Class.CONTEXT_SPECIFIC && fields[0].type === 0 ? 1 : 0;
  const issuer = fields[start + 2];
  const validity = children(fields[start + 3]);
  const subject = fields[start + 4];
  if (issuer === undefined || subject === undefined || validity.length !== 2) {
    throw malformed('certificate TBSCertificate is incomplete');
  }
  let deviceId: string | undefined;
  for (const f of fields.slice(start + 6)) {
    if (f.tagClass === Class.CONTEXT_SPECIFIC && f.type === 3) deviceId = readDeviceIdExtension(children(children(f)[0]));
  }
  return {
    issuer: readName(issuer),
    subject: readName(subject),
    notBefore: readTime(validity[0]!),
    notAfter: readTime(validity[1]!),
    ...(deviceId !== undefined && { deviceId }),
  };
}

function readTime(node: Asn1): Date {
  const v = typeof node.value === 'string' ? node.value : '';
  const d = node.type === Type.UTCTIME ? forge.asn1.utcTimeToDate(v) : forge.asn1.generalizedTimeToDate(v);
  if (Number.isNaN(d.getTime())) throw malformed('certificate validity time is not readable');
  return d;
}

function readDeviceIdExtension(extensions: Asn1[]): string | undefined {
  for (const ext of extensions) {
    const parts = children(ext);
    const oid = parts[0];
    if (oid?.type !== Type.OID || typeof oid.value !== 'string') continue;
    if (forge.asn1.derToOid(oid.value) !== DEVICE_ID_EXTENSION_OID) continue;
    const extnValue = parts[parts.length - 1];
    let inner: Asn1 | undefined;
    try {
      if (extnValue?.type === Type.OCTETSTRING && typeof extnValue.value === 'string') inner = fromDer(extnValue.value);
    } catch {
      inner = undefined;
    }
    if (inner?.type !== Type.OCTETSTRING || typeof inner.value !== 'string' || inner.value.length !== 16) {
      throw malformed(`certificate device ID extension (${DEVICE_ID_EXTENSION_OID}) is not a 16-byte OCTET STRING`);
    }
    return bytesToGuid(Buffer.from(inner.value, 'binary'));
  }
  return undefined;
}

const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'E',
};

function readName(name: Asn1): NameInfo {
  const rdns: string[] = [];
  let cn: string | undefined;
  for (const rdn of children(name)) {
    const avas: string[] = [];
    for (const ava of children(rdn)) {
      const [oidNode, valueNode] = children(ava);
      if (oidNode === undefined || valueNode === undefined || typeof oidNode.value !== 'string') continue;
      const oid = forge.asn1.derToOid(oidNode.value);
      const value = readString(valueNode);
      if (oid === '2.5.4.3' && cn === undefined) cn = value;
      avas.push(`${SHORT_NAMES[oid] ?? oid}=${escapeRdnValue(value)}`);
    }
    rdns.push(avas.join('+'));
  }
  return { text: rdns.reverse().join(', '), ...(cn !== undefined && { cn }) };
}

function readString(node: Asn1): string {
  const raw = typeof node.value === 'string' ? node.value : '';
  switch (node.type) {
    case Type.UTF8:
      return Buffer.from(raw, 'binary').toString('utf8');
    case Type.BMPSTRING:
      return raw.length % 2 === 0 ? Buffer.from(raw, 'binary').swap16().toString('utf16le') : raw;
    default:
      return raw; // Printable, IA5, T61: single bytes
  }
}

function escapeRdnValue(value: string): string {
  return value
    .replace(/[\\,+"<>;=]/g, '\\$&')
    .replace(/^[ #]/, '\\$&')
    .replace(/ $/, '\\ ')
    .replace(/[\x00-\x1f]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
