import { DirectoryError } from './errors.js';

/** RFC 4515 filter AST; assertion values are the unescaped bytes. */
export type FilterNode =
  | { readonly type: 'and' | 'or'; readonly filters: readonly FilterNode[] }
  | { readonly type: 'not'; readonly filter: FilterNode }
  | { readonly type: 'present'; readonly attribute: string }
  | { readonly type: 'equality' | 'ge' | 'le' | 'approx'; readonly attribute: string; readonly value: Buffer }
  | { readonly type: 'substring'; readonly attribute: string; readonly initial?: Buffer; readonly any: readonly Buffer[]; readonly final?: Buffer };

const ATTR_RE = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)(?:;[A-Za-z0-9-]+)*$/;
const MAX_DEPTH = 32;

function fail(filter: string, message: string): never {
  throw new DirectoryError('DG_ERR_DIRECTORY_FILTER', `invalid LDAP filter: ${message} in "${filter.slice(0, 80)}"`, 'filter');
}

function unescape(filter: string, text: string): Buffer {
  const chunks: Buffer[] = [];
  let run = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\') {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) fail(filter, `bad escape "\\${hex}"`);
      if (run !== '') chunks.push(Buffer.from(run, 'utf8'));
      run = '';
      chunks.push(Buffer.of(parseInt(hex, 16)));
      i += 2;
    } else if (ch === '(' || ch === ')' || ch === '*' || ch === '\0') {
      fail(filter, `unescaped "${ch === '\0' ? 'NUL' : ch}" in a value`);
    } else {
      run += ch;
    }
  }
  if (run !== '') chunks.push(Buffer.from(run, 'utf8'));
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** Parse RFC 4515 filter text (equality, presence, substring, >=, <=, ~=, and/or/not). */
export function parseFilter(filter: string): FilterNode {
  let pos = 0;
  const text = filter.trim();
  const parseOne = (depth: number): FilterNode => {
    if (depth > MAX_DEPTH) fail(filter, 'nested too deeply');
    if (text[pos] !== '(') fail(filter, `expected "(" at ${pos}`);
    pos++;
    const op = text[pos];
    let node: FilterNode;
    if (op === '&' || op === '|') {
      pos++;
      const filters: FilterNode[] = [];
      while (text[pos] === '(') filters.push(parseOne(depth + 1));
      if (filters.length === 0) fail(filter, `empty "${op}"`);
      node = { type: op === '&' ? 'and' : 'or', filters };
    } else if (op === '!') {
      pos++;
      node = { type: 'not', filter: parseOne(depth + 1) };
    } else {
      // item: attr op value, value runs to the matching ")" (values cannot hold unescaped parens)
      const close = text.indexOf(')', pos);
      if (close < 0) fail(filter, 'missing ")"');
      const item = text.slice(pos, close);
      pos = close;
      const m = /^([^=<>~:]+)(=|>=|<=|~=)(.*)$/s.exec(item);
      if (!m) fail(filter, item.includes(':') ? 'extensible match is not supported' : `bad item "${item}"`);
      const attribute = m![1]!.trim();
      if (!ATTR_RE.test(attribute)) fail(filter, `bad attribute "${attribute}"`);
      const operator = m![2]!;
      const raw = m![3]!;
      if (operator === '=' && raw === '*') {
        node = { type: 'present', attribute };
      } else if (operator === '=' && raw.includes('*')) {
        const parts = raw.split('*');
        const first = parts.shift()!;
        const last = parts.pop()!;
        node = {
          type: 'substring',
          attribute,
          ...(first !== '' ? { initial: unescape(filter, first) } : {}),
          any: parts.filter((p) => p !== '').map((p) => unescape(filter, p)),
          ...(last !== '' ? { final: unescape(filter, last) } : {}),
        };
      } else {
        const type = operator === '=' ? 'equality' : operator === '>=' ? 'ge' : operator === '<=' ? 'le' : 'approx';
        node = { type, attribute, value: unescape(filter, raw) };
      }
    }
    if (text[pos] !== ')') fail(filter, `expected ")" at ${pos}`);
    pos++;
    return node;
  };
  if (text === '') fail(filter, 'empty filter');
  // RFC 4515 requires parentheses; AD accepts a bare item, so do we.
  const source = text.startsWith('(') ? text : `(${text})`;
  if (source !== text) return parseFilter(source);
  const node = parseOne(0);
  if (pos !== text.length) fail(filter, `unexpected text after position ${pos}`);
  return node;
}
