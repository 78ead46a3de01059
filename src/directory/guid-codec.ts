// Local GUID codec (.NET Guid.ToByteArray order). src/certificate exports the same pair per its
// contract; directory keeps its own so it does not depend on certificate's progress.
const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** 16 bytes in Guid.ToByteArray order -> lower-case hyphenated GUID. */
export function bytesToGuid(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`a GUID is 16 bytes, got ${bytes.length}`);
  const h = Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('hex');
  return (
    h.slice(6, 8) + h.slice(4, 6) + h.slice(2, 4) + h.slice(0, 2) + '-' +
    h.slice(10, 12) + h.slice(8, 10) + '-' +
    h.slice(14, 16) + h.slice(12, 14) + '-' +
    h.slice(16, 20) + '-' + h.slice(20, 32)
  );
}

/** Lower- or upper-case hyphenated GUID -> 16 bytes in Guid.ToByteArray order. */
export function guidToBytes(guid: string): Buffer {
  const g = guid.toLowerCase();
  if (!GUID_RE.test(g)) throw new RangeError('not a hyphenated GUID');
  const h = g.replaceAll('-', '');
  const le =
    h.slice(6, 8) + h.slice(4, 6) + h.slice(2, 4) + h.slice(0, 2) +
    h.slice(10, 12) + h.slice(8, 10) +
    h.slice(14, 16) + h.slice(12, 14) +
    h.slice(16);
  return Buffer.from(le, 'hex');
}
