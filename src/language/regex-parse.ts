/**
 * A parser for .NET regular-expression syntax (System.Text.RegularExpressions, what AD FS runs for
 * =~, !~ and RegexReplace) into a small tree with offsets, so the translator can decide construct by
 * construct, with the pattern position of anything it cannot keep.
 */

/** Shorthand classes: .NET meanings (Unicode), not JavaScript's or RE2's (ASCII). */
export type Shorthand = 'd' | 'D' | 'w' | 'W' | 's' | 'S';

export type ClassItem =
  | { k: 'range'; lo: number; hi: number }
  | { k: 'shorthand'; c: Shorthand; at: number }
  | { k: 'prop'; name: string; negated: boolean; at: number; len: number };

export interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
}

interface Base {
  at: number;
  len: number;
}

export type RegexNode =
  | (Base & { t: 'char'; cp: number })
  | (Base & { t: 'class'; items: ClassItem[]; negated: boolean })
  | (Base & { t: 'shorthand'; c: Shorthand })
  | (Base & { t: 'prop'; name: string; negated: boolean })
  | (Base & { t: 'dot' })
  | (Base & { t: 'bol' })
  | (Base & { t: 'eol' })
  /** \A, \z, \Z */
  | (Base & { t: 'start' })
  | (Base & { t: 'end' })
  | (Base & { t: 'endZ' })
  | (Base & { t: 'wordBoundary'; negated: boolean })
  | (Base & { t: 'group'; capture: boolean; name?: string; body: RegexNode[][]; on?: string; off?: string })
  | (Base & { t: 'look'; behind: boolean; negated: boolean; body: RegexNode[][] })
  /** (?imsx-imsx) in the middle of a sequence: applies to the rest of the enclosing group */
  | (Base & { t: 'options'; on: string; off: string })
  | (Base & { t: 'repeat'; body: RegexNode; min: number; max: number; lazy: boolean })
  | (Base & { t: 'backref' });

export interface ParsedRegex {
  ok: true;
  alternatives: RegexNode[][];
  /** capture groups in order of their opening parenthesis (named ones with their name) */
  groups: { name?: string }[];
}

export interface RegexProblem {
  ok: false;
  code: 'DG_LANG_REGEX_INVALID' | 'DG_LANG_REGEX_UNSUPPORTED';
  message: string;
  /** offset inside the pattern text */
  offset: number;
  length: number;
}

class Stop extends Error {
  constructor(readonly problem: RegexProblem) {
    super(problem.message);
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEX = /^[0-9A-Fa-f]+$/;

export function unsupported(message: string, offset: number, length: number): RegexProblem {
  return { ok: false, code: 'DG_LANG_REGEX_UNSUPPORTED', message, offset, length: Math.max(1, length) };
}

export function invalid(message: string, offset: number, length: number): RegexProblem {
  return { ok: false, code: 'DG_LANG_REGEX_INVALID', message, offset, length: Math.max(1, length) };
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { t: 9, n: 10, r: 13, f: 12, v: 11, a: 7, e: 27 };

export function parseRegex(pattern: string): ParsedRegex | RegexProblem {
  let i = 0;
  const n = pattern.length;
  const groups: { name?: string }[] = [];
  // Upper bound of the capture groups (decides whether \NN is a backreference or an octal escape).
  const openParens = (pattern.match(/\((?!\?)/g) ?? []).length;
  const fail = (p: RegexProblem): never => {
    throw new Stop(p);
  };

  /** A character escape (after the backslash at `start`), shared by classes and sequences; undefined if not one. */
  const charEscape = (start: number, inClass: boolean): number | undefined => {
    const e = pattern[start + 1]!;
    if (e in SIMPLE_ESCAPES) {
      i = start + 2;
      return SIMPLE_ESCAPES[e]!;
    }
    if (e === 'b' && inClass) {
      i = start + 2;
      return 8;
    }
    if (e === 'x' || e === 'u') {
      const digits = e === 'x' ? 2 : 4;
      const hex = pattern.slice(start + 2, start + 2 + digits);
      if (hex.length !== digits || !HEX.test(hex)) fail(invalid(`'\\${e}' needs exactly ${digits} hexadecimal digits`, start, 2 + hex.length));
      i = start + 2 + digits;
      return parseInt(hex, 16);
    }
    if (e === 'c') {
      const ch = pattern[start + 2];
      if (ch === undefined || !/[A-Za-z]/.test(ch)) fail(invalid(`'\\c' needs a letter (control character)`, start, 2));
      i = start + 3;
      return ch!.toUpperCase().charCodeAt(0) - 64;
    }
    if (e === '0' || (inClass && /[1-7]/.test(e))) {
      // Octal: up to three digits.
      let j = start + 1;
      while (j < n && j < start + 4 && /[0-7]/.test(pattern[j]!)) j++;
      i = j;
      return parseInt(pattern.slice(start + 1, j), 8) & 0xff;
    }
    if (!/[A-Za-z0-9]/.test(e)) {
      i = start + 2;
      return e.charCodeAt(0);
    }
    return undefined;
  };

  const property = (start: number): { name: string; negated: boolean; len: number } => {
    const negated = pattern[start + 1] === 'P';
    if (pattern[start + 2] !== '{') fail(invalid(`'\\${pattern[start + 1]}' needs a {name}`, start, 2));
    const close = pattern.indexOf('}', start + 3);
    if (close < 0) fail(invalid(`'\\${pattern[start + 1]}{' is not closed`, start, 3));
    const name = pattern.slice(start + 3, close);
    i = close + 1;
    return { name, negated, len: close + 1 - start };
  };

  /** Reads one code point of literal text at i (a surrogate pair is one character). */
  const literal = (): number => {
    const cp = pattern.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    return cp;
  };

  const parseClass = (): RegexNode => {
    const start = i;
    i++; // [
    let negated = false;
    if (pattern[i] === '^') {
      negated = true;
      i++;
    }
    const items: ClassItem[] = [];
    const first = i;
    const single = (): { cp?: number; item?: ClassItem } => {
      const at = i;
      if (pattern[i] === '\\') {
        const e = pattern[i + 1];
        if (e === undefined) fail(invalid('pattern ends with a lone backslash', i, 1));
        if ('dDwWsS'.includes(e!)) {
          i += 2;
          return { item: { k: 'shorthand', c: e as Shorthand, at } };
        }
        if (e === 'p' || e === 'P') {
          const p = property(at);
          return { item: { k: 'prop', name: p.name, negated: p.negated, at, len: p.len } };
        }
        const cp = charEscape(at, true);
        if (cp === undefined) fail(invalid(`unrecognized escape '\\${e}' in a character class`, at, 2));
        return { cp: cp! };
      }
      return { cp: literal() };
    };
    for (;;) {
      if (i >= n) fail(invalid("character class '[' is not closed", start, 1));
      const c = pattern[i]!;
      if (c === ']' && i > first) break;
      if (c === '-' && pattern[i + 1] === '[' && i > first) fail(unsupported('character-class subtraction [a-z-[...]] is not supported', i, 2));
      const lo = single();
      if (lo.item) {
        items.push(lo.item);
        continue;
      }
      if (pattern[i] === '-' && pattern[i + 1] !== ']' && pattern[i + 1] !== undefined && pattern[i + 1] !== '[') {
        const dash = i;
        i++;
        const hi = single();
        if (hi.item) fail(invalid('a range cannot end with a class shorthand', dash, 2));
        if (hi.cp! < lo.cp!) fail(invalid('range in reverse order in a character class', dash - 1, 3));
        items.push({ k: 'range', lo: lo.cp!, hi: hi.cp! });
      } else {
        items.push({ k: 'range', lo: lo.cp!, hi: lo.cp! });
      }
    }
    i++; // ]
    return { t: 'class', items, negated, at: start, len: i - start };
  };

  const quantifier = (atom: RegexNode): RegexNode => {
    const c = pattern[i];
    let min: number;
    let max: number;
    const qAt = i;
    if (c === '*' || c === '+' || c === '?') {
      min = c === '+' ? 1 : 0;
      max = c === '?' ? 1 : Infinity;
      i++;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (!m) return atom; // .NET: a '{' that starts no quantifier is literal
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (max < min) fail(invalid('quantifier {n,m} with m < n', i, m[0].length));
      i += m[0].length;
    } else {
      return atom;
    }
    let lazy = false;
    if (pattern[i] === '?') {
      lazy = true;
      i++;
    }
    if (atom.t === 'bol' || atom.t === 'eol' || atom.t === 'start' || atom.t === 'end' || atom.t === 'endZ' || atom.t === 'wordBoundary' || atom.t === 'options') {
      fail(unsupported('a quantifier after an anchor or an inline option is not supported', qAt, i - qAt));
    }
    if (pattern[i] === '*' || pattern[i] === '+' || pattern[i] === '?' || (pattern[i] === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i)))) {
      fail(invalid('nested quantifier (a quantifier directly after another)', i, 1));
    }
    return { t: 'repeat', body: atom, min, max, lazy, at: atom.at, len: i - atom.at };
  };

  const parseGroup = (): RegexNode => {
    const start = i;
    if (pattern[i + 1] !== '?') {
      groups.push({});
      i++;
      const body = parseAlternatives(start);
      return { t: 'group', capture: true, body, at: start, len: i - start };
    }
    const rest = pattern.slice(i + 2);
    const head = (len: number) => {
      i += len;
    };
    if (rest.startsWith(':')) {
      head(3);
      return { t: 'group', capture: false, body: parseAlternatives(start), at: start, len: i - start };
    }
    if (rest.startsWith('=') || rest.startsWith('!')) {
      head(3);
      const body = parseAlternatives(start);
      return { t: 'look', behind: false, negated: rest[0] === '!', body, at: start, len: i - start };
    }
    if (rest.startsWith('<=') || rest.startsWith('<!')) {
      head(4);
      const body = parseAlternatives(start);
      return { t: 'look', behind: true, negated: rest[1] === '!', body, at: start, len: i - start };
    }
    if (rest.startsWith('<') || rest.startsWith("'")) {
      const closer = rest[0] === '<' ? '>' : "'";
      const close = rest.indexOf(closer, 1);
      const name = close < 0 ? '' : rest.slice(1, close);
      if (name.includes('-')) fail(unsupported('balancing groups (?<a-b>...) are not supported', start, close + 3));
      if (!NAME.test(name)) fail(unsupported(`group name '${name}' is not supported (letters, digits and _, not starting with a digit)`, start, Math.max(3, close + 3)));
      groups.push({ name });
      head(close + 3);
      const body = parseAlternatives(start);
      return { t: 'group', capture: true, name, body, at: start, len: i - start };
    }
    if (rest.startsWith('>')) fail(unsupported('atomic groups (?>...) are not supported', start, 3));
    if (rest.startsWith('(')) fail(unsupported('conditional groups (?(...)...) are not supported', start, 3));
    if (rest.startsWith('#')) {
      const close = pattern.indexOf(')', i);
      if (close < 0) fail(invalid("inline comment '(?#' is not closed", start, 3));
      i = close + 1;
      return { t: 'options', on: '', off: '', at: start, len: i - start };
    }
    const opts = /^([A-Za-z]*)(?:-([A-Za-z]*))?([:)])/.exec(rest);
    if (!opts || (opts[1] === '' && (opts[2] ?? '') === '')) fail(invalid(`unrecognized group construct '(?${rest.slice(0, 1)}'`, start, 3));
    const on = opts![1]!;
    const off = opts![2] ?? '';
    for (const [k, ch] of [...on, '-', ...off].entries()) {
      if (ch === '-') continue;
      const at = start + 2 + k;
      if (ch === 'x' || ch === 'n') fail(unsupported(`inline option '${ch}' (${ch === 'x' ? 'IgnorePatternWhitespace' : 'ExplicitCapture'}) is not supported`, at, 1));
      if (ch !== 'i' && ch !== 'm' && ch !== 's') fail(invalid(`unknown inline option '${ch}'`, at, 1));
    }
    head(opts![0].length + 2);
    if (opts![3] === ')') return { t: 'options', on, off, at: start, len: i - start };
    const body = parseAlternatives(start);
    return { t: 'group', capture: false, body, on, off, at: start, len: i - start };
  };

  const parseAtom = (): RegexNode | undefined => {
    const c = pattern[i]!;
    const at = i;
    switch (c) {
      case '(':
        return parseGroup();
      case '[':
        return parseClass();
      case '.':
        i++;
        return { t: 'dot', at, len: 1 };
      case '^':
        i++;
        return { t: 'bol', at, len: 1 };
      case '$':
        i++;
        return { t: 'eol', at, len: 1 };
      case '*': case '+': case '?':
        return fail(invalid(`quantifier '${c}' follows nothing`, at, 1));
      case '{':
        if (/^\{\d+(,\d*)?\}/.test(pattern.slice(i))) fail(invalid('quantifier follows nothing', at, 1));
        i++;
        return { t: 'char', cp: 123, at, len: 1 };
      case '\\': {
        const e = pattern[i + 1];
        if (e === undefined) fail(invalid('pattern ends with a lone backslash', at, 1));
        if ('dDwWsS'.includes(e!)) {
          i += 2;
          return { t: 'shorthand', c: e as Shorthand, at, len: 2 };
        }
        if (e === 'p' || e === 'P') {
          const p = property(at);
          return { t: 'prop', name: p.name, negated: p.negated, at, len: p.len };
        }
        if (e === 'b' || e === 'B') {
          i += 2;
          return { t: 'wordBoundary', negated: e === 'B', at, len: 2 };
        }
        if (e === 'A' || e === 'z' || e === 'Z') {
          i += 2;
          return { t: e === 'A' ? 'start' : e === 'z' ? 'end' : 'endZ', at, len: 2 };
        }
        if (e === 'G') fail(unsupported("'\\G' (contiguous match) is not supported", at, 2));
        if (e === 'k') {
          const m = /^\\k(<[^>]*>|'[^']*')/.exec(pattern.slice(i));
          fail(unsupported('backreferences (\\k<name>) are not supported: no linear-time engine can run them', at, m ? m[0].length : 2));
        }
        if (/[1-9]/.test(e!)) {
          let j = i + 1;
          while (j < n && /\d/.test(pattern[j]!)) j++;
          const digits = pattern.slice(i + 1, j);
          // .NET: one digit, or a number no larger than the group count, is a backreference; else octal.
          if (digits.length === 1 || Number(digits) <= openParens || !/^[0-7]{2,3}/.test(digits)) {
            fail(unsupported(`backreference '\\${digits}' is not supported: no linear-time engine can run it`, at, j - at));
          }
          const octal = /^[0-7]{2,3}/.exec(digits)![0];
          i = at + 1 + octal.length;
          return { t: 'char', cp: parseInt(octal, 8) & 0xff, at, len: i - at };
        }
        const cp = charEscape(at, false);
        if (cp === undefined) fail(invalid(`unrecognized escape '\\${e}'`, at, 2));
        return { t: 'char', cp: cp!, at, len: i - at };
      }
      default:
        return { t: 'char', cp: literal(), at, len: i - at };
    }
  };

  const parseSequence = (): RegexNode[] => {
    const items: RegexNode[] = [];
    while (i < n && pattern[i] !== '|' && pattern[i] !== ')') {
      const atom = parseAtom()!;
      items.push(quantifier(atom));
    }
    return items;
  };

  /** Alternatives up to the ')' that closes the group opened at `open` (or the end when open < 0). */
  const parseAlternatives = (open: number): RegexNode[][] => {
    const alternatives = [parseSequence()];
    while (pattern[i] === '|') {
      i++;
      alternatives.push(parseSequence());
    }
    if (open >= 0) {
      if (pattern[i] !== ')') fail(invalid("group '(' is not closed", open, 1));
      i++;
    } else if (i < n) {
      fail(invalid("unbalanced ')'", i, 1));
    }
    return alternatives;
  };

  try {
    const alternatives = parseAlternatives(-1);
    return { ok: true, alternatives, groups };
  } catch (error) {
    if (error instanceof Stop) return error.problem;
    throw error;
  }
}
