const SID_TEXT_RE = /^S-1-\d+(-\d+)*$/;

/** Binary SID -> `S-1-...` text, or undefined when the bytes are not a well-formed binary SID. */
export function binarySidToText(bytes: Uint8Array): string | undefined {
  if (bytes.length < 8 || bytes[0] !== 1) return undefined;
  const count = bytes[1]!;
  if (count > 15 || bytes.length !== 8 + 4 * count) return undefined;
  let authority = 0;
  for (let i = 2; i < 8; i++) authority = authority * 256 + bytes[i]!;
  let text = `S-1-${authority}`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) text += `-${view.getUint32(8 + 4 * i, true)}`;
  return text;
}

/** `S-1-...` text -> binary SID. */
export function sidTextToBinary(text: string): Buffer {
  if (!SID_TEXT_RE.test(text)) throw new RangeError('not SID text');
  const parts = text.split('-').slice(2).map(Number);
  const authority = parts.shift()!;
  const out = Buffer.alloc(8 + 4 * parts.length);
  out[0] = 1;
  out[1] = parts.length;
  out.writeUIntBE(authority, 2, 6);
  parts.forEach((sub, i) => out.writeUInt32LE(sub, 8 + 4 * i));
  return out;
}

/** A SID stored as a binary SID or as the bytes of its text form (both seen for msDS-RegisteredOwner). */
export function decodeSid(value: string | Uint8Array): string | undefined {
  if (typeof value === 'string') {
    const upper = value.toUpperCase();
    return SID_TEXT_RE.test(upper) ? upper : undefined;
  }
  const binary = binarySidToText(value);
  if (binary !== undefined) return binary;
  const text = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1').replace(/\0+$/, '');
  return SID_TEXT_RE.test(text.toUpperCase()) ? text.toUpperCase() : undefined;
}

export function isSidText(text: string): boolean {
  return SID_TEXT_RE.test(text);
}
