/*
 * Which parser does what, and why (measured on this machine, 2048-bit device certificate):
 * - node-forge asn1 (strict, all bytes, BIT STRINGs left opaque) walks the DER once, ~3 µs: structure
 *   checks, names (CN of subject/issuer; multi-valued RDNs kept as one RDN, as in the real
 *   MS-Organization-Access issuer), exact validity times, the device ID extension
 *   `1.2.840.113556.1.5.284.2` (OCTET STRING wrapping OCTET STRING, non-minimal length allowed) and the
 *   subjectPublicKey bits, which for rsaEncryption ARE the PKCS#1 RSAPublicKey DER we hash.
 *   forge.pki.certificateFromAsn1 is not used: it refuses non-RSA keys and builds big integers we never need.
 * - node:crypto hashes (SHA-1 thumbprint, SHA-256 key hash), ~2 µs each.
 * - node:crypto X509Certificate (OpenSSL) is built lazily, only for the chain check (checkIssued + native
 *   signature verify, far faster than forge's JS RSA). Constructing one costs ~120-160 µs, so doing it on
 *   every parse would make it the most expensive step of a cached decision; chain verdicts are cached.
 */
import { createHash } from 'node:crypto';
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
  const tbs = readCertificate(der);
  const thumbprint = createHash('sha1').update(der).digest('hex').toUpperCase();
  // For rsaEncryption the subjectPublicKey BIT STRING holds exactly the PKCS#1 RSAPublicKey DER,
  // the bytes .NET GetPublicKey() returns and publicKey.export({ type: 'pkcs1' }) would produce.
  const publicKeyHash = createHash('sha256').update(tbs.rsaPublicKey).digest('base64');
  return {
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
  readonly rsaPublicKey: Buffer;
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

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const KEY_ALGORITHMS: Readonly<Record<string, string>> = {
  '1.2.840.10045.2.1': 'ec',
  '1.2.840.113549.1.1.10': 'rsa-pss',
  '1.3.101.112': 'ed25519',
  '1.3.101.113': 'ed448',
  '1.2.840.10040.4.1': 'dsa',
};

const is = (node: Asn1 | undefined, type: number, constructed: boolean): node is Asn1 =>
  node !== undefined && node.tagClass === Class.UNIVERSAL && node.type === type && node.constructed === constructed;

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }, checked field by field. */
function readCertificate(der: Buffer): TbsInfo {
  let root: Asn1;
  try {
    root = fromDer(der.toString('binary'));
  } catch {
    throw malformed('certificate is not a valid X.509 DER structure (truncated or corrupt)');
  }
  const top = children(root);
  if (!is(root, Type.SEQUENCE, true) || top.length !== 3 || !is(top[0], Type.SEQUENCE, true) || !is(top[1], Type.SEQUENCE, true) || !is(top[2], Type.BITSTRING, false)) {
    throw malformed('certificate is not a valid X.509 DER structure (not a Certificate SEQUENCE)');
  }
  const fields = children(top[0]);
  // Optional [0] version comes first; the six mandatory fields follow.
  const start = fields[0]?.tagClass === Class.CONTEXT_SPECIFIC && fields[0].type === 0 ? 1 : 0;
  const [serial, , issuer, validityNode, subject, spki] = fields.slice(start, start + 6);
  const validity = children(validityNode);
  if (
    !is(serial, Type.INTEGER, false) || !is(issuer, Type.SEQUENCE, true) || !is(validityNode, Type.SEQUENCE, true) ||
    validity.length !== 2 || !is(subject, Type.SEQUENCE, true) || !is(spki, Type.SEQUENCE, true)
  ) {
    throw malformed('certificate TBSCertificate is incomplete');
  }
  const rsaPublicKey = readRsaPublicKey(spki);
  let deviceId: string | undefined;
  for (const f of fields.slice(start + 6)) {
    if (f.tagClass === Class.CONTEXT_SPECIFIC && f.type === 3) deviceId = readDeviceIdExtension(children(children(f)[0]));
  }
  return {
    issuer: readName(issuer),
    subject: readName(subject),
    notBefore: readTime(validity[0]!),
    notAfter: readTime(validity[1]!),
    rsaPublicKey,
    ...(deviceId !== undefined && { deviceId }),
  };
}

/** SubjectPublicKeyInfo -> PKCS#1 RSAPublicKey DER; NOT_RSA for any other algorithm. */
function readRsaPublicKey(spki: Asn1): Buffer {
  const [algorithm, key] = children(spki);
  const oidNode = children(algorithm)[0];
  if (!is(oidNode, Type.OID, false) || !is(key, Type.BITSTRING, false) || typeof oidNode.value !== 'string' || typeof key.value !== 'string') {
    throw malformed('certificate subjectPublicKeyInfo is not readable');
  }
  const oid = forge.asn1.derToOid(oidNode.value);
  if (oid !== RSA_ENCRYPTION) {
    throw new CertificateError('DG_ERR_CERT_NOT_RSA', `certificate key is ${KEY_ALGORITHMS[oid] ?? oid}, device certificates carry RSA keys`, FIELD);
  }
  // BIT STRING contents: one "unused bits" octet (0), then RSAPublicKey ::= SEQUENCE { modulus, publicExponent }.
  const bytes = key.value.slice(1);
  let parsed: Asn1 | undefined;
  try {
    parsed = key.value.charCodeAt(0) === 0 ? fromDer(bytes) : undefined;
  } catch {
    parsed = undefined;
  }
  const ints = children(parsed);
  if (!is(parsed, Type.SEQUENCE, true) || ints.length !== 2 || !ints.every((n) => is(n, Type.INTEGER, false))) {
    throw malformed('certificate RSA public key is not a valid RSAPublicKey');
  }
  return Buffer.from(bytes, 'binary');
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
