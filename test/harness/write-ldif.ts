import type { RawValue } from '../../src/directory/index.js';

export interface LdifRecord {
  readonly dn: string;
  /** Attribute name (any case) -> values. */
  readonly attributes: ReadonlyMap<string, readonly RawValue[]>;
}

// RFC 2849 SAFE-STRING: no leading space/colon/<, ASCII without NUL/CR/LF, no trailing space.
const SAFE = /^(?![ :<])[\x01-\x09\x0b\x0c\x0e-\x7f]*$/;

function line(name: string, value: RawValue): string {
  if (typeof value === 'string' && SAFE.test(value) && !value.endsWith(' ')) return `${name}: ${value}`;
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return `${name}:: ${bytes.toString('base64')}`;
}

/** Content-record LDIF (no folding; slapadd and ldbadd accept long lines). */
export function writeLdif(records: readonly LdifRecord[]): string {
  const out: string[] = [];
  for (const r of records) {
    out.push(line('dn', r.dn));
    for (const [name, values] of r.attributes) for (const v of values) out.push(line(name, v));
    out.push('');
  }
  return out.join('\n') + '\n';
}
