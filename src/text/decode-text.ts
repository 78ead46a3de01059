import { readFile } from 'node:fs/promises';

/**
 * The one decoder for every file devicegate reads (rules, JSON, JSON lines, LDIF, certificates, SAML
 * tokens, AD FS exports). Windows tools write UTF-8 with a BOM (PowerShell 5.1 `Set-Content`), UTF-16
 * LE with a BOM (`Out-File`, `>`), sometimes UTF-16 BE, and CRLF line ends; all of them read here as the
 * same text. Without a BOM the bytes are UTF-8.
 */
export type TextEncodingName = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be';

export function detectEncoding(bytes: Uint8Array): TextEncodingName {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8-bom';
  return 'utf-8';
}

/** Decodes without touching line ends (what `rules fmt` compares against). */
export function decodeTextRaw(bytes: Uint8Array): string {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (detectEncoding(buffer)) {
    case 'utf-16le':
      return buffer.subarray(2).toString('utf16le');
    case 'utf-16be': {
      const body = Buffer.from(buffer.subarray(2, 2 + ((buffer.length - 2) & ~1)));
      return body.swap16().toString('utf16le');
    }
    case 'utf-8-bom':
      return buffer.subarray(3).toString('utf8');
    case 'utf-8':
      return buffer.toString('utf8');
  }
}

/** Decodes (BOM-aware) and turns CRLF (and a lone CR) into LF, so positions and splits agree everywhere. */
export function decodeText(bytes: Uint8Array): string {
  return decodeTextRaw(bytes).replace(/\r\n?/g, '\n');
}

/**
 * For inputs that may be binary (a DER certificate) or text (PEM, base64): text with a BOM is decoded
 * and returned as UTF-8 bytes; anything else is returned unchanged (DER never starts with a BOM).
 */
export function normalizeTextBytes(bytes: Buffer): Buffer {
  return detectEncoding(bytes) === 'utf-8' ? bytes : Buffer.from(decodeText(bytes), 'utf8');
}

/** Reads a text file through decodeText. */
export async function readTextFile(path: string): Promise<string> {
  return decodeText(await readFile(path));
}
