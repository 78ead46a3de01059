// msDS-KeyCredentialLink values ([MS-ADTS] 2.2.20): DN-Binary `B:<hex length>:<hex>:<owner DN>`
// around a KEYCREDENTIALLINK_BLOB (version 2: a list of length/identifier/value entries).
// Decoding never throws: a malformed value comes back with its problems listed, so one bad key
// never stops an inventory of a whole forest.
import { createHash } from 'node:crypto';
import { bytesToGuid } from './guid-codec.js';

const KEY_CREDENTIAL_LINK_VERSION_2 = 0x0200;

/** Entry identifiers of [MS-ADTS] 2.2.20.6. */
export const KEY_CREDENTIAL_ENTRY = {
  keyId: 0x01,
  keyHash: 0x02,
  keyMaterial: 0x03,
  keyUsage: 0x04,
  keySource: 0x05,
  deviceId: 0x06,
  customKeyInformation: 0x07,
  keyApproximateLastLogonTimeStamp: 0x08,
  keyCreationTime: 0x09,
} as const;

/** KeyUsage values (2.2.20.6 and DSInternals' observed values). */
export const KEY_USAGE_NAMES: Readonly<Record<number, string>> = { 0: 'AdminKey', 1: 'NGC', 2: 'STK', 3: 'BitlockerRecovery', 7: 'FIDO', 8: 'FEK', 9: 'DPAPI' };
export const KEY_SOURCE_NAMES: Readonly<Record<number, string>> = { 0: 'AD', 1: 'AzureAD' };

export interface RsaPublicKey {
  /** Big-endian modulus without leading zero bytes. */
  readonly modulus: Buffer;
  readonly exponent: Buffer;
  readonly bits: number;
  /** How the key material was encoded. */
  readonly encoding: 'BCRYPT_RSAKEY_BLOB' | 'PKCS#1';
}

export interface KeyCredential {
  /** The whole DN-Binary value's owner DN (the object holding the key). */
  readonly ownerDn?: string;
  readonly version?: number;
  /** Base64 of the KeyID entry (SHA-256 of the key material for every usage but FIDO). */
  readonly keyId?: string;
  /** KeyID equals SHA-256(KeyMaterial) (undefined where the spec defines no such check: FIDO). */
  readonly keyIdValid?: boolean;
  /** KeyHash equals SHA-256 of every entry after it. */
  readonly keyHashValid?: boolean;
  readonly usage?: string;
  readonly source?: string;
  /** Lower-case hyphenated GUID of the device the key was made on. */
  readonly deviceId?: string;
  readonly flags?: { readonly attestation: boolean; readonly mfaNotUsed: boolean };
  readonly lastLogon?: Date;
  readonly created?: Date;
  readonly keyMaterial?: Buffer;
  readonly rsa?: RsaPublicKey;
  /** Empty when the value decoded cleanly. */
  readonly problems: readonly string[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Splits `B:<n>:<hex>:<dn>`; undefined when the text is not DN-Binary. */
export function parseDnBinary(text: string): { bytes: Buffer; dn: string } | { error: string } {
  const m = /^B:(\d{1,9}):([0-9A-Fa-f]*):(.*)$/s.exec(text);
  if (!m) return { error: 'not a DN-Binary value (B:<length>:<hex>:<dn>)' };
  const declared = Number(m[1]);
  const hex = m[2]!;
  if (declared !== hex.length) return { error: `DN-Binary length ${declared} does not match its ${hex.length} hex digits` };
  if (hex.length % 2 !== 0) return { error: 'DN-Binary holds an odd number of hex digits' };
  return { bytes: Buffer.from(hex, 'hex'), dn: m[3]! };
}

const FILETIME_UNIX_OFFSET = 116444736000000000n;

function fileTime(value: Buffer): Date | undefined {
  if (value.length !== 8) return undefined;
  const ticks = value.readBigUInt64LE(0);
  if (ticks === 0n || ticks < FILETIME_UNIX_OFFSET) return undefined;
  return new Date(Number((ticks - FILETIME_UNIX_OFFSET) / 10000n));
}

function stripZeros(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

/** Minimal DER reader for RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }. */
function readDerRsaPublicKey(der: Buffer): { modulus: Buffer; exponent: Buffer } | undefined {
  let pos = 0;
  const readLength = (): number | undefined => {
    const first = der[pos++];
    if (first === undefined) return undefined;
    if (first < 0x80) return first;
    const count = first & 0x7f;
    if (count === 0 || count > 3) return undefined;
    let len = 0;
    for (let i = 0; i < count; i++) {
      const b = der[pos++];
      if (b === undefined) return undefined;
      len = len * 256 + b;
    }
    return len;
  };
  const readInteger = (): Buffer | undefined => {
    if (der[pos++] !== 0x02) return undefined;
    const len = readLength();
    if (len === undefined || pos + len > der.length) return undefined;
    const value = der.subarray(pos, pos + len);
    pos += len;
    return value;
  };
  if (der[pos++] !== 0x30) return undefined;
  const seqLen = readLength();
  if (seqLen === undefined || pos + seqLen !== der.length) return undefined;
  const modulus = readInteger();
  const exponent = readInteger();
  if (!modulus || !exponent || pos !== der.length) return undefined;
  return { modulus: stripZeros(modulus), exponent: stripZeros(exponent) };
}

/** The RSA public key inside NGC key material: a BCRYPT_RSAKEY_BLOB ("RSA1") or a DER RSAPublicKey. */
export function readRsaKeyMaterial(material: Buffer): RsaPublicKey | undefined {
  if (material.length >= 24 && material.toString('latin1', 0, 4) === 'RSA1') {
    const bits = material.readUInt32LE(4);
    const expLen = material.readUInt32LE(8);
    const modLen = material.readUInt32LE(12);
    if (24 + expLen + modLen > material.length || modLen === 0 || expLen === 0) return undefined;
    const exponent = material.subarray(24, 24 + expLen);
    const modulus = material.subarray(24 + expLen, 24 + expLen + modLen);
    return { modulus: stripZeros(modulus), exponent: stripZeros(exponent), bits, encoding: 'BCRYPT_RSAKEY_BLOB' };
  }
  const der = readDerRsaPublicKey(material);
  if (!der) return undefined;
  const top = der.modulus[0] ?? 0;
  const bits = (der.modulus.length - 1) * 8 + (top === 0 ? 0 : Math.floor(Math.log2(top)) + 1);
  return { ...der, bits, encoding: 'PKCS#1' };
}

const sha256 = (b: Buffer): Buffer => createHash('sha256').update(b).digest();

/** Decodes one KEYCREDENTIALLINK_BLOB. */
export function decodeKeyCredentialBlob(blob: Buffer, ownerDn?: string): KeyCredential {
  const out: Mutable<KeyCredential> & { problems: string[] } = { problems: [] };
  if (ownerDn !== undefined) out.ownerDn = ownerDn;
  if (blob.length < 4) {
    out.problems.push('blob shorter than its 4-byte version');
    return out;
  }
  out.version = blob.readUInt32LE(0);
  if (out.version !== KEY_CREDENTIAL_LINK_VERSION_2) {
    out.problems.push(`unsupported KEYCREDENTIALLINK version 0x${out.version.toString(16)} (only version 2 is decoded)`);
    return out;
  }
  let pos = 4;
  let keyHash: Buffer | undefined;
  let hashedFrom = -1;
  let keyIdRaw: Buffer | undefined;
  let last = 0;
  while (pos < blob.length) {
    if (pos + 3 > blob.length) {
      out.problems.push(`truncated entry header at byte ${pos}`);
      break;
    }
    const length = blob.readUInt16LE(pos);
    const id = blob[pos + 2]!;
    const start = pos + 3;
    if (start + length > blob.length) {
      out.problems.push(`entry 0x${id.toString(16)} at byte ${pos} runs past the end of the blob`);
      break;
    }
    const value = blob.subarray(start, start + length);
    if (id <= last) out.problems.push(`entry 0x${id.toString(16)} out of order or repeated`);
    last = Math.max(last, id);
    switch (id) {
      case KEY_CREDENTIAL_ENTRY.keyId:
        keyIdRaw = value;
        out.keyId = value.toString('base64');
        break;
      case KEY_CREDENTIAL_ENTRY.keyHash:
        keyHash = value;
        hashedFrom = start + length;
        break;
      case KEY_CREDENTIAL_ENTRY.keyMaterial:
        out.keyMaterial = value;
        break;
      case KEY_CREDENTIAL_ENTRY.keyUsage:
        if (length === 1) out.usage = KEY_USAGE_NAMES[value[0]!] ?? `0x${value[0]!.toString(16)}`;
        else out.problems.push('KeyUsage is not one byte');
        break;
      case KEY_CREDENTIAL_ENTRY.keySource:
        if (length === 1) out.source = KEY_SOURCE_NAMES[value[0]!] ?? `0x${value[0]!.toString(16)}`;
        else out.problems.push('KeySource is not one byte');
        break;
      case KEY_CREDENTIAL_ENTRY.deviceId:
        if (length === 16) out.deviceId = bytesToGuid(value);
        else out.problems.push(`DeviceId is ${length} bytes, not 16`);
        break;
      case KEY_CREDENTIAL_ENTRY.customKeyInformation:
        if (length >= 2) out.flags = { attestation: (value[1]! & 0x01) !== 0, mfaNotUsed: (value[1]! & 0x02) !== 0 };
        else if (length !== 1) out.problems.push('CustomKeyInformation is empty');
        break;
      case KEY_CREDENTIAL_ENTRY.keyApproximateLastLogonTimeStamp: {
        const d = fileTime(value);
        if (d) out.lastLogon = d;
        else if (length !== 8) out.problems.push('KeyApproximateLastLogonTimeStamp is not 8 bytes');
        break;
      }
      case KEY_CREDENTIAL_ENTRY.keyCreationTime: {
        const d = fileTime(value);
        if (d) out.created = d;
        else if (length !== 8) out.problems.push('KeyCreationTime is not 8 bytes');
        break;
      }
      default:
        out.problems.push(`unknown entry identifier 0x${id.toString(16)}`);
    }
    pos = start + length;
  }
  if (keyHash !== undefined) out.keyHashValid = hashedFrom >= 0 && sha256(blob.subarray(hashedFrom)).equals(keyHash);
  else out.problems.push('no KeyHash entry');
  if (!out.keyMaterial) out.problems.push('no KeyMaterial entry');
  if (!keyIdRaw) out.problems.push('no KeyID entry');
  if (keyIdRaw && out.keyMaterial && out.usage !== 'FIDO') out.keyIdValid = sha256(out.keyMaterial).equals(keyIdRaw);
  if (out.keyHashValid === false) out.problems.push('KeyHash does not match the entries after it');
  if (out.keyIdValid === false) out.problems.push('KeyID is not the SHA-256 of the key material');
  if (out.keyMaterial && (out.usage === 'NGC' || out.usage === undefined)) {
    const rsa = readRsaKeyMaterial(out.keyMaterial);
    if (rsa) out.rsa = rsa;
    else if (out.usage === 'NGC') out.problems.push('NGC key material is neither a BCRYPT_RSAKEY_BLOB nor a DER RSAPublicKey');
  }
  return out;
}

/** Decodes one msDS-KeyCredentialLink attribute value (DN-Binary text). */
export function decodeKeyCredentialLink(value: string): KeyCredential {
  const parsed = parseDnBinary(value);
  if ('error' in parsed) return { problems: [parsed.error] };
  return decodeKeyCredentialBlob(parsed.bytes, parsed.dn);
}
