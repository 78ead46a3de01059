const HEX = Array.from({ length: 256 }, (_, i) => '\\' + i.toString(16).padStart(2, '0'));

/**
 * RFC 4515 value escaping. Text: `*` `(` `)` `\` and NUL become `\2a \28 \29 \5c \00` (other
 * characters pass as UTF-8). Bytes: every byte becomes `\xx`, so binary values never depend on
 * the server's idea of UTF-8.
 */
export function escapeFilterValue(value: string | Uint8Array): string {
  if (typeof value !== 'string') {
    let out = '';
    for (const byte of value) out += HEX[byte];
    return out;
  }
  let out = '';
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x2a || c === 0x28 || c === 0x29 || c === 0x5c || c === 0) {
      out += value.slice(start, i) + HEX[c];
      start = i + 1;
    }
  }
  return start === 0 ? value : out + value.slice(start);
}
