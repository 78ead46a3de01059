import type { FilterNode } from './ldap-filter.js';
import type { RawEntry, RawValue } from './raw-entry.js';
import { decodeSid, isSidText } from './sid-codec.js';
import { SID_ATTRIBUTES } from './device-attributes.js';

function baseName(attribute: string): string {
  return attribute.toLowerCase().split(';')[0]!;
}

function isUtf8Text(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

/** Equality as AD does it: binary bytes exactly, text case-insensitively, SID attributes also by SID text. */
function valueEquals(attribute: string, stored: RawValue, assertion: Buffer): boolean {
  if (SID_ATTRIBUTES.has(attribute)) {
    const asText = assertion.toString('latin1');
    if (isSidText(asText.toUpperCase())) return decodeSid(stored) === asText.toUpperCase();
  }
  if (typeof stored !== 'string') return stored.equals(assertion) || (isUtf8Text(stored) && isUtf8Text(assertion) && stored.toString('utf8').toLowerCase() === assertion.toString('utf8').toLowerCase());
  return isUtf8Text(assertion) && stored.toLowerCase() === assertion.toString('utf8').toLowerCase();
}

function substringMatch(stored: RawValue, node: Extract<FilterNode, { type: 'substring' }>): boolean {
  const text = (typeof stored === 'string' ? stored : stored.toString('utf8')).toLowerCase();
  let at = 0;
  if (node.initial) {
    const initial = node.initial.toString('utf8').toLowerCase();
    if (!text.startsWith(initial)) return false;
    at = initial.length;
  }
  for (const part of node.any) {
    const found = text.indexOf(part.toString('utf8').toLowerCase(), at);
    if (found < 0) return false;
    at = found + part.length;
  }
  if (node.final) {
    const final = node.final.toString('utf8').toLowerCase();
    return text.length - at >= final.length && text.endsWith(final);
  }
  return true;
}

function compare(stored: RawValue, assertion: Buffer): number {
  const a = (typeof stored === 'string' ? stored : stored.toString('utf8')).trim();
  const b = assertion.toString('utf8').trim();
  if (/^-?\d+$/.test(a) && /^-?\d+$/.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Evaluate a parsed filter over one entry (the LDIF backend's searchAttributes). */
export function matchFilter(node: FilterNode, entry: RawEntry): boolean {
  switch (node.type) {
    case 'and':
      return node.filters.every((f) => matchFilter(f, entry));
    case 'or':
      return node.filters.some((f) => matchFilter(f, entry));
    case 'not':
      return !matchFilter(node.filter, entry);
    case 'present': {
      const name = baseName(node.attribute);
      return name === 'objectclass' || (entry.attributes.get(name)?.length ?? 0) > 0;
    }
    default: {
      const name = baseName(node.attribute);
      const values = entry.attributes.get(name);
      if (!values) return false;
      switch (node.type) {
        case 'equality':
        case 'approx':
          return values.some((v) => valueEquals(name, v, node.value));
        case 'substring':
          return values.some((v) => substringMatch(v, node));
        case 'ge':
          return values.some((v) => compare(v, node.value) >= 0);
        case 'le':
          return values.some((v) => compare(v, node.value) <= 0);
      }
    }
  }
}
