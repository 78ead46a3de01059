import { DirectoryError } from './errors.js';
import type { RawEntry, RawValue } from './raw-entry.js';

export interface LdifEntry extends RawEntry {
  /** 1-based line of the entry's `dn:` line. */
  readonly line: number;
}

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
const ATTR_RE = /^[A-Za-z][A-Za-z0-9-]*(?:;[A-Za-z0-9-]+)*$|^\d+(?:\.\d+)*(?:;[A-Za-z0-9-]+)*$/;

/**
 * Parse RFC 2849 content records: folded lines, `#` comments, `::` base64, several values per
 * attribute, LF or CRLF. `:<` URLs and change records are refused. Errors name `file:line`.
 */
export function parseLdif(text: string, file: string): LdifEntry[] {
  const entries: LdifEntry[] = [];
  const fail = (line: number, message: string): never => {
    throw new DirectoryError('DG_ERR_DIRECTORY_LDIF', `${file}:${line}: ${message}`);
  };
  const physical = text.split(/\r?\n/);
  // Unfold: a line starting with one space continues the previous logical line.
  const logical: { text: string; line: number }[] = [];
  for (let i = 0; i < physical.length; i++) {
    const raw = physical[i]!;
    if (raw.startsWith(' ')) {
      const last = logical[logical.length - 1];
      if (!last || last.text === '') fail(i + 1, 'continuation line without a line to continue');
      last!.text += raw.slice(1);
    } else {
      logical.push({ text: raw, line: i + 1 });
    }
  }

  let dn: string | undefined;
  let dnLine = 0;
  let attributes = new Map<string, RawValue[]>();
  const flush = () => {
    if (dn !== undefined) entries.push({ dn, line: dnLine, attributes });
    dn = undefined;
    attributes = new Map();
  };
  let first = true;
  for (const { text: l, line } of logical) {
    if (l === '') {
      flush();
      continue;
    }
    if (l.startsWith('#')) continue;
    const colon = l.indexOf(':');
    if (colon <= 0) fail(line, `expected "attribute: value", got "${l.slice(0, 40)}"`);
    const name = l.slice(0, colon);
    let rest = l.slice(colon + 1);
    let value: RawValue;
    if (rest.startsWith(':')) {
      const b64 = rest.slice(1).trim();
      if (!BASE64_RE.test(b64) || b64.length % 4 === 1) fail(line, `${name}: invalid base64 value`);
      value = Buffer.from(b64, 'base64');
    } else if (rest.startsWith('<')) {
      return fail(line, `${name}: URL values (":<") are not supported`);
    } else {
      rest = rest.replace(/^ +/, '');
      value = rest;
    }
    if (first && dn === undefined && name.toLowerCase() === 'version') {
      first = false;
      if (typeof value !== 'string' || value.trim() !== '1') fail(line, 'only LDIF version 1 is supported');
      continue;
    }
    first = false;
    if (dn === undefined) {
      if (name.toLowerCase() !== 'dn') fail(line, `entry must start with "dn:", got "${name}:"`);
      dn = typeof value === 'string' ? value.trim() : value.toString('utf8');
      if (dn === '') fail(line, 'empty dn');
      dnLine = line;
      continue;
    }
    if (!ATTR_RE.test(name)) fail(line, `invalid attribute name "${name}"`);
    const lower = name.toLowerCase();
    if (lower === 'changetype') fail(line, 'change records are not supported; use content records');
    if (lower === 'dn') fail(line, 'second "dn:" in one entry (missing blank line?)');
    // AD attribute options such as ";binary" do not change the attribute.
    const key = lower.split(';')[0]!;
    const list = attributes.get(key);
    if (list) list.push(value);
    else attributes.set(key, [value]);
  }
  flush();
  return entries;
}
