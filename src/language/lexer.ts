import type { Span } from './ast.js';

export type TokenKind =
  | 'identifier' | 'string' | 'integer' | 'eof'
  | '=>' | '&&' | '==' | '!=' | '=~' | '!~' | '=' | '+' | ':' | ',' | '.' | ';'
  | '[' | ']' | '(' | ')' | '@' | '>' | '<' | '>=' | '<=';

export interface Token extends Span {
  kind: TokenKind;
  /** identifier text, string contents (without quotes), integer digits; '' otherwise */
  text: string;
}

export interface LexProblem extends Span {
  code: 'DG_LANG_UNEXPECTED_CHARACTER' | 'DG_LANG_UNTERMINATED_STRING' | 'DG_LANG_SMART_QUOTE';
  severity: 'error' | 'warning';
  message: string;
}

const SMART_QUOTES = new Set([0x201c, 0x201d, 0x201e, 0x201f, 0x2033, 0x00ab, 0x00bb]);

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Tokenizes a whole rule set. Strings have no escapes (`"\"` is one backslash) and end at the line.
 * Typographic double quotes always delimit strings here (so parsing can go on); `lenient` only
 * decides whether that is an error or a warning.
 */
export function tokenize(source: string, lenient = false): { tokens: Token[]; problems: LexProblem[] } {
  const tokens: Token[] = [];
  const problems: LexProblem[] = [];
  const n = source.length;
  let i = 0;
  const push = (kind: TokenKind, start: number, end: number, text = '') => tokens.push({ kind, start, end, text });
  while (i < n) {
    const c = source.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0xfeff || c === 0xa0 || c === 11 || c === 12) {
      i++;
      continue;
    }
    const start = i;
    if (c === 34 || SMART_QUOTES.has(c)) {
      const smart = c !== 34;
      i++;
      let closedBySmart = false;
      while (i < n) {
        const d = source.charCodeAt(i);
        if (d === 10 || d === 13) break;
        if (d === 34 || (smart && SMART_QUOTES.has(d))) break;
        i++;
      }
      let closed = i < n && source.charCodeAt(i) !== 10 && source.charCodeAt(i) !== 13;
      if (!closed) {
        // Usually a line-wrapped string (copied from a web page): report once, then resume after the
        // closing quote on a later line so the rest of the rule lexes as intended.
        const lineEnd = i;
        const close = source.indexOf('"', i);
        problems.push({ code: 'DG_LANG_UNTERMINATED_STRING', severity: 'error', message: 'string literal is not closed on this line (strings cannot contain a line break)', start, end: lineEnd });
        if (close >= 0) {
          i = close;
          closed = true;
        } else {
          i = lineEnd;
        }
      } else {
        closedBySmart = source.charCodeAt(i) !== 34;
      }
      const text = source.slice(start + 1, i);
      if (closed) i++;
      if (smart || closedBySmart) {
        problems.push({
          code: 'DG_LANG_SMART_QUOTE',
          severity: lenient ? 'warning' : 'error',
          message: lenient ? 'typographic quote repaired to "' : 'typographic quote used as a string delimiter; use a straight double quote (")',
          start,
          end: i,
        });
      }
      push('string', start, i, text);
      continue;
    }
    if (isIdentStart(c)) {
      i++;
      while (i < n && isIdentPart(source.charCodeAt(i))) i++;
      push('identifier', start, i, source.slice(start, i));
      continue;
    }
    if (isDigit(c)) {
      i++;
      while (i < n && isDigit(source.charCodeAt(i))) i++;
      push('integer', start, i, source.slice(start, i));
      continue;
    }
    const next = i + 1 < n ? source[i + 1] : '';
    const ch = source[i]!;
    let two: TokenKind | undefined;
    if (ch === '=' && (next === '>' || next === '=' || next === '~')) two = `=${next}` as TokenKind;
    else if (ch === '!' && (next === '=' || next === '~')) two = `!${next}` as TokenKind;
    else if (ch === '&' && next === '&') two = '&&';
    else if ((ch === '>' || ch === '<') && next === '=') two = `${ch}=` as TokenKind;
    if (two) {
      push(two, start, start + 2);
      i += 2;
      continue;
    }
    if ('=+:,.;[]()@><'.includes(ch)) {
      push(ch as TokenKind, start, start + 1);
      i++;
      continue;
    }
    const cp = source.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    const shown = c < 32 || c === 127 ? `U+${c.toString(16).padStart(4, '0').toUpperCase()}` : `'${String.fromCodePoint(cp)}'`;
    const hint = ch === '/' || ch === '#' ? ' (the rule language has no comments)' : c === 0x2018 || c === 0x2019 ? ' (typographic single quote)' : '';
    const last = problems[problems.length - 1];
    if (last && last.code === 'DG_LANG_UNEXPECTED_CHARACTER' && last.end === start) last.end = start + width;
    else problems.push({ code: 'DG_LANG_UNEXPECTED_CHARACTER', severity: 'error', message: `unexpected character ${shown}${hint}`, start, end: start + width });
    i += width;
  }
  push('eof', n, n);
  return { tokens, problems };
}
