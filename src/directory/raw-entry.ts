/** One attribute value as a backend hands it over: text, or bytes (LDIF `::`, ldapts buffer attributes). */
export type RawValue = string | Buffer;

/** A directory entry before decoding. Attribute names are lower-cased keys (LDAP names are case-insensitive). */
export interface RawEntry {
  readonly dn: string;
  readonly attributes: ReadonlyMap<string, readonly RawValue[]>;
}

export function rawText(value: RawValue): string {
  return typeof value === 'string' ? value : value.toString('utf8');
}

export function rawBytes(value: RawValue): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}
