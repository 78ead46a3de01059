import { CertificateError } from './errors.js';

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BRACED_RE = /^\{([0-9a-fA-F-]{36})\}$/;

/** `{GUID}` or `GUID`, any case -> lower-case hyphenated GUID. */
export function normalizeDeviceId(input: string): string {
  if (typeof input !== 'string') {
    throw new CertificateError('DG_ERR_CERT_DEVICE_ID', 'device ID must be a string', 'device.deviceId');
  }
  if (GUID_RE.test(input)) return input; // already canonical: the usual case, nothing copied
  const trimmed = input.trim();
  const inner = BRACED_RE.exec(trimmed)?.[1] ?? trimmed;
  const lower = inner.toLowerCase();
  if (!GUID_RE.test(lower)) {
    throw new CertificateError(
      'DG_ERR_CERT_DEVICE_ID',
      'device ID must be a GUID like 00166477-081e-4bc4-b2f2-468326ef9428 (braces optional)',
      'device.deviceId',
    );
  }
  return lower;
}

/** GUID (any accepted form) -> 16 bytes in .NET Guid.ToByteArray order (first three fields little-endian). */
export function guidToBytes(guid: string): Buffer {
  const h = normalizeDeviceId(guid).replaceAll('-', '');
  return Buffer.from(
    h.slice(6, 8) + h.slice(4, 6) + h.slice(2, 4) + h.slice(0, 2) +
      h.slice(10, 12) + h.slice(8, 10) +
      h.slice(14, 16) + h.slice(12, 14) +
      h.slice(16),
    'hex',
  );
}

/** 16 bytes in Guid.ToByteArray order -> lower-case hyphenated GUID. */
export function bytesToGuid(bytes: Uint8Array): string {
  if (bytes.length !== 16) {
    throw new CertificateError('DG_ERR_CERT_DEVICE_ID', `a device ID is 16 bytes, got ${bytes.length}`, 'device.deviceId');
  }
  const h = Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('hex');
  return (
    h.slice(6, 8) + h.slice(4, 6) + h.slice(2, 4) + h.slice(0, 2) + '-' +
    h.slice(10, 12) + h.slice(8, 10) + '-' +
    h.slice(14, 16) + h.slice(12, 14) + '-' +
    h.slice(16, 20) + '-' + h.slice(20, 32)
  );
}
