/**
 * .NET regular expressions (what AD FS runs for =~, !~ and RegexReplace) to RE2 syntax, run by
 * re2js (linear time in the input, whatever the pattern): exactly, or not at all. Every construct
 * either keeps its .NET meaning or is reported with its offset in the pattern. See README "Regular
 * expressions" for the dialect.
 *
 * .NET meanings kept: \d = \p{Nd}; \w = [\p{L}\p{Mn}\p{Nd}\p{Pc}]; \s = [\f\n\r\t\v\x85\p{Z}];
 * \b and \B against that \w (as a lookbehind when the next character's kind is known, or by consuming
 * the next character at the end of a test pattern); '.' excludes only \n; '$' = end or before a
 * final \n; inline options (?i) (?m) (?s) (?-i) (?i:...) apply from where they stand to the end of
 * the enclosing group; (?i) compares as .NET Framework's ToLower does for 'ſ' (U+017F), which RE2's
 * case folding would otherwise equate with 's'.
 * Translated by shape: ^(?!x)... / ^(?=x)... at the start of a test pattern become separate anchored
 * tests; (?=x) at the end of a test pattern becomes x.
 * Rejected (no linear-time equivalent, or not worth the risk): backreferences, atomic and conditional
 * groups, balancing groups, other lookaheads, \G, (?x), (?n), class subtraction, \W or \S inside a
 * bracket class with other items, \p{IsBlock}, repetition counts above 1000.
 */
import { RE2JS } from 're2js';
import { parseRegex, invalid, unsupported, type ClassItem, type Flags, type RegexNode, type RegexProblem } from './regex-parse.js';

export type { RegexProblem } from './regex-parse.js';

/** 'test' for =~ / !~ (only whether a match exists), 'replace' for RegexReplace (what is matched). */
export type RegexMode = 'test' | 'replace';

export interface RegexWarning {
  code: 'DG_LANG_REGEX_NESTED_QUANTIFIER';
  message: string;
  offset: number;
  length: number;
}

/** A literal-only pattern (rule templates): tested with string operations instead of an engine. */
export interface LiteralShape {
  text: string;
  /** ^(A|B|C)$: the whole input (less a final \n) is one of these (then `text` is '' and both anchors are set) */
  choices?: readonly string[];
  ignoreCase: boolean;
  anchoredStart: boolean;
  anchoredEnd: boolean;
}

export interface TranslatedRegex {
  ok: true;
  mode: RegexMode;
  /** RE2 syntax */
  source: string;
  /** the source uses lookbehinds (re2js LOOKBEHINDS flag) */
  lookbehinds: boolean;
  /**
   * Test mode, pattern anchored at the start: `source` must match the whole input (re2js testExact,
   * several times faster than an anchored search); the leading \A is dropped and a trailing '$'
   * becomes \n?, or (?s:.*) is appended.
   */
  exact: boolean;
  /** more tests that must each match (or, when negate, not match) for the pattern to match; always exact */
  conditions: readonly { source: string; lookbehinds: boolean; negate: boolean }[];
  /** .NET group number -> RE2 group number (index 0 = whole match) */
  dotnetToJs: readonly number[];
  groupNames: ReadonlySet<string>;
  /** replace mode: the RE2 group holding a final \n consumed by a trailing '$' (put back by the replacement) */
  endGroup?: number;
  literal?: LiteralShape;
  warnings: readonly RegexWarning[];
}

export const WORD_CLASS = '\\p{L}\\p{Mn}\\p{Nd}\\p{Pc}';
export const SPACE_CLASS = '\\t\\n\\x0B\\f\\r\\x{85}\\p{Z}';
const LONG_S = 0x17f;
const MAX_REPEAT = 1000;
const WORD_TEST = /^[\p{L}\p{Mn}\p{Nd}\p{Pc}]$/u;

class Stop extends Error {
  constructor(readonly problem: RegexProblem) {
    super(problem.message);
  }
}
const fail = (p: RegexProblem): never => {
  throw new Stop(p);
};

function hex(cp: number): string {
  return `\\x{${cp.toString(16).toUpperCase()}}`;
}

function emitCodePoint(cp: number): string {
  if ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || cp === 0x20) return String.fromCharCode(cp);
  return hex(cp);
}

const isWordCp = (cp: number): boolean => WORD_TEST.test(String.fromCodePoint(cp));
const isS = (cp: number): boolean => cp === 0x73 || cp === 0x53;

type Kind = 'word' | 'nonword' | undefined;

function rangeKind(lo: number, hi: number): Kind {
  if (hi - lo > 512) return undefined;
  let kind: Kind;
  for (let cp = lo; cp <= hi; cp++) {
    const k: Kind = isWordCp(cp) ? 'word' : 'nonword';
    if (kind !== undefined && k !== kind) return undefined;
    kind = k;
  }
  return kind;
}

/** Whether every character the node can start with (first = true) or end with is a .NET word character, or none is. */
function edgeKind(node: RegexNode, first: boolean): Kind {
  switch (node.t) {
    case 'char':
      return isWordCp(node.cp) ? 'word' : 'nonword';
    case 'shorthand':
      return node.c === 'd' || node.c === 'w' ? 'word' : node.c === 's' || node.c === 'W' ? 'nonword' : undefined;
    case 'class': {
      if (node.negated) return undefined;
      let kind: Kind;
      for (const item of node.items) {
        const k: Kind = item.k === 'range' ? rangeKind(item.lo, item.hi) : item.k === 'shorthand' ? edgeKind({ t: 'shorthand', c: item.c, at: 0, len: 0 }, first) : undefined;
        if (k === undefined || (kind !== undefined && k !== kind)) return undefined;
        kind = k;
      }
      return kind;
    }
    case 'repeat':
      return node.min >= 1 ? edgeKind(node.body, first) : undefined;
    case 'group': {
      let kind: Kind;
      for (const alt of node.body) {
        const edge = first ? alt.find((x) => x.t !== 'options') : [...alt].reverse().find((x) => x.t !== 'options');
        const k = edge ? edgeKind(edge, first) : undefined;
        if (k === undefined || (kind !== undefined && k !== kind)) return undefined;
        kind = k;
      }
      return kind;
    }
    default:
      return undefined;
  }
}

function applyOptions(flags: Flags, on: string, off: string): Flags {
  const next = { ...flags };
  for (const c of on) if (c === 'i' || c === 'm' || c === 's') next[c] = true;
  for (const c of off) if (c === 'i' || c === 'm' || c === 's') next[c] = false;
  return next;
}

interface Context {
  mode: RegexMode;
  lookbehinds: boolean;
  /** .NET group index (order of '(') -> emitted as capturing */
  endGroup: boolean;
}

/** Where a node stands: tail = nothing can follow its match (the pattern's end), so consuming the next character is harmless in test mode. */
interface Place {
  tail: boolean;
  inLookbehind: boolean;
  /** emit capture groups as non-capturing (inside lookbehinds and split-off lookahead tests) */
  noCapture: boolean;
  /** last item of the last top-level alternative (replace mode: where a '$' may consume a final \n) */
  last: boolean;
}

function emitClassItem(item: ClassItem, only: boolean): string {
  switch (item.k) {
    case 'range':
      return item.lo === item.hi ? hex(item.lo) : `${hex(item.lo)}-${hex(item.hi)}`;
    case 'prop':
      return checkProperty(item.name, item.at, item.len, item.negated);
    case 'shorthand':
      switch (item.c) {
        case 'd': return '\\p{Nd}';
        case 'D': return '\\P{Nd}';
        case 'w': return WORD_CLASS;
        case 's': return SPACE_CLASS;
        default:
          if (!only) fail(unsupported(`'\\${item.c}' inside a character class with other items is not supported (RE2 classes cannot hold the complement of a Unicode union)`, item.at, 2));
          return '';
      }
  }
}

function checkProperty(name: string, at: number, len: number, negated: boolean): string {
  if (/^Is/.test(name)) fail(unsupported(`named block '\\p{${name}}' is not supported; use a code-point range [\\uXXXX-\\uXXXX]`, at, len));
  if (!/^(?:L[ultmo]?|M[nce]?|N[dlo]?|P[cdseifo]?|S[mcko]?|Z[slp]?|C[cfso]?)$/.test(name)) fail(invalid(`unknown Unicode category '\\p{${name}}'`, at, len));
  return `\\${negated ? 'P' : 'p'}{${name}}`;
}

/** Removes one code point from the class ranges (other items unchanged). */
function without(items: readonly ClassItem[], cp: number): ClassItem[] {
  return items.flatMap((item): ClassItem[] => {
    if (item.k !== 'range' || cp < item.lo || cp > item.hi) return [item];
    const parts: ClassItem[] = [];
    if (item.lo < cp) parts.push({ k: 'range', lo: item.lo, hi: cp - 1 });
    if (cp < item.hi) parts.push({ k: 'range', lo: cp + 1, hi: item.hi });
    return parts;
  });
}

const inRanges = (items: readonly ClassItem[], cp: number): boolean => items.some((item) => item.k === 'range' && item.lo <= cp && cp <= item.hi);

function emitClass(node: Extract<RegexNode, { t: 'class' }>, flags: Flags): string {
  const only = node.items.length === 1 ? node.items[0]! : undefined;
  if (only?.k === 'shorthand' && (only.c === 'W' || only.c === 'S')) {
    // [\W] = \W, [^\W] = \w
    const set = only.c === 'W' ? WORD_CLASS : SPACE_CLASS;
    return node.negated ? `[${set}]` : `[^${set}]`;
  }
  const render = (items: readonly ClassItem[]) => `[${node.negated ? '^' : ''}${items.map((item) => emitClassItem(item, false)).join('')}]`;
  const hasS = inRanges(node.items, 0x53) || inRanges(node.items, 0x73);
  const hasLongS = inRanges(node.items, LONG_S);
  if (!flags.i || (!hasS && !hasLongS)) return render(node.items);
  // Under (?i), RE2 folds 's', 'S' and 'ſ' together; .NET Framework lowers both sides (ToLower('ſ') is
  // 'ſ'), so 'ſ' and s/S are different letters. Those three are matched case-sensitively, apart.
  const specials = `${hasS ? 'sS' : ''}${hasLongS ? '\\x{17F}' : ''}`;
  const rest = without(without(without(node.items, 0x53), 0x73), LONG_S);
  if (!node.negated) {
    return rest.length === 0 ? `(?-i:[${specials}])` : `(?:(?-i:[${specials}])|${render(rest)})`;
  }
  // [^...] under (?i): RE2 also excludes the fold partners .NET keeps.
  const partners = `${hasS && !hasLongS ? '\\x{17F}' : ''}${hasLongS && !hasS ? 'sS' : ''}`;
  return partners === '' ? render(node.items) : `(?:${render(node.items)}|(?-i:[${partners}]))`;
}

function emitShorthand(c: string): string {
  switch (c) {
    case 'd': return '\\p{Nd}';
    case 'D': return '\\P{Nd}';
    case 'w': return `[${WORD_CLASS}]`;
    case 'W': return `[^${WORD_CLASS}]`;
    case 's': return `[${SPACE_CLASS}]`;
    default: return `[^${SPACE_CLASS}]`;
  }
}

function emitChar(cp: number, flags: Flags): string {
  const text = emitCodePoint(cp);
  if (!flags.i) return text;
  // See emitClass: under (?i) 's' matches s and S but not 'ſ', and 'ſ' matches only itself.
  if (isS(cp)) return '(?-i:[sS])';
  if (cp === LONG_S) return '(?-i:\\x{17F})';
  return text;
}

function emitBoundary(node: Extract<RegexNode, { t: 'wordBoundary' }>, prev: RegexNode | undefined, next: RegexNode | undefined, place: Place, ctx: Context): string {
  const nextKind = next ? edgeKind(next, true) : undefined;
  const prevKind = prev ? edgeKind(prev, false) : undefined;
  const word = `[${WORD_CLASS}]`;
  if (nextKind !== undefined) {
    ctx.lookbehinds = true;
    // Boundary before a word character: the previous one is not a word character (or there is none).
    const wantPrevWord = (nextKind === 'nonword') !== node.negated;
    return wantPrevWord ? `(?-i:(?<=${word}))` : `(?-i:(?<!${word}))`;
  }
  if (next === undefined && place.tail && !place.inLookbehind && ctx.mode === 'test' && prevKind !== undefined) {
    // At the end of a test pattern: consume the next character (or the end) that makes the boundary.
    const wantNextWord = (prevKind === 'nonword') !== node.negated;
    return wantNextWord ? `(?-i:${word})` : `(?-i:(?:[^${WORD_CLASS}]|\\z))`;
  }
  return fail(unsupported(
    `'\\${node.negated ? 'B' : 'b'}' is supported only where the next character is known to be a word character or not (or, in =~ / !~, at the end of the pattern after such a character)`,
    node.at, 2,
  ));
}

function emitEndOfInput(node: RegexNode, place: Place, ctx: Context): string {
  // .NET '$' (and \Z): at the end, or before a final \n. RE2 has no lookahead, so the \n is consumed.
  if (place.tail && !place.inLookbehind && ctx.mode === 'test') return '(?:\\n?\\z)';
  if (place.last && ctx.mode === 'replace' && !ctx.endGroup) {
    ctx.endGroup = true;
    return '(\\n?)\\z';
  }
  return fail(unsupported(`'${node.t === 'endZ' ? '\\Z' : '$'}' is supported only at the end of the pattern (it needs a lookahead elsewhere)`, node.at, node.len));
}

function emitNode(node: RegexNode, prev: RegexNode | undefined, next: RegexNode | undefined, flags: Flags, place: Place, ctx: Context): string {
  switch (node.t) {
    case 'char':
      return emitChar(node.cp, flags);
    case 'class':
      return emitClass(node, flags);
    case 'shorthand':
      return emitShorthand(node.c);
    case 'prop':
      return checkProperty(node.name, node.at, node.len, node.negated);
    case 'dot':
      return flags.s ? '(?s:.)' : '[^\\n]';
    case 'bol':
      return flags.m ? '(?m:^)' : '\\A';
    case 'start':
      return '\\A';
    case 'end':
      return '\\z';
    case 'eol':
      return flags.m ? '(?m:$)' : emitEndOfInput(node, place, ctx);
    case 'endZ':
      return emitEndOfInput(node, place, ctx);
    case 'wordBoundary':
      return emitBoundary(node, prev, next, place, ctx);
    case 'options':
      return '';
    case 'backref':
      return fail(unsupported('backreferences are not supported', node.at, node.len));
    case 'group': {
      const inner = node.on !== undefined ? applyOptions(flags, node.on, node.off ?? '') : flags;
      const capture = node.capture && !place.noCapture;
      if (node.capture && place.inLookbehind && ctx.mode === 'replace') fail(unsupported('a capture group inside a lookbehind is not supported in RegexReplace', node.at, 1));
      const open = capture ? (node.name !== undefined ? `(?P<${node.name}>` : '(') : '(?:';
      const iSwitch = inner.i !== flags.i ? (inner.i ? '(?i)' : '(?-i)') : '';
      // A trailing '$' inside a group would put the final \n into that group's capture: top level only.
      return `${open}${iSwitch}${emitAlternatives(node.body, inner, { ...place, last: false }, ctx)})`;
    }
    case 'look': {
      if (node.behind) {
        ctx.lookbehinds = true;
        const body = emitAlternatives(node.body, { ...flags }, { tail: false, inLookbehind: true, noCapture: true, last: false }, ctx);
        return `(?${node.negated ? '<!' : '<='}${body})`;
      }
      if (!node.negated && next === undefined && place.tail && !place.inLookbehind && ctx.mode === 'test') {
        // (?=x) at the end of a test pattern: a match exists iff one followed by x does.
        return `(?:${emitAlternatives(node.body, { ...flags }, place, ctx)})`;
      }
      return fail(unsupported(
        `lookahead '(?${node.negated ? '!' : '='}...)' is not supported here (RE2 has no lookahead; accepted: ^(?!...) or ^(?=...) at the start of an =~ / !~ pattern, (?=...) at its end)`,
        node.at, 3,
      ));
    }
    case 'repeat': {
      if (node.min > MAX_REPEAT || (node.max !== Infinity && node.max > MAX_REPEAT)) fail(unsupported(`repetition counts above ${MAX_REPEAT} are not supported`, node.at, node.len));
      const body = emitNode(node.body, undefined, undefined, flags, { ...place, tail: false, last: false }, ctx);
      const q = node.min === 0 && node.max === Infinity ? '*' : node.min === 1 && node.max === Infinity ? '+' : node.min === 0 && node.max === 1 ? '?'
        : node.max === Infinity ? `{${node.min},}` : node.min === node.max ? `{${node.min}}` : `{${node.min},${node.max}}`;
      if (body === '') return '';
      return `${body}${q}${node.lazy ? '?' : ''}`;
    }
  }
}

/** Emits a sequence; `flags` is updated in place by mid-sequence options (they last to the end of the group). */
function emitSequence(items: readonly RegexNode[], flags: Flags, place: Place, ctx: Context): string {
  let out = '';
  // The last item that is not an inline option is the one in tail position.
  let lastReal = items.length - 1;
  while (lastReal >= 0 && items[lastReal]!.t === 'options') lastReal--;
  for (let k = 0; k < items.length; k++) {
    const node = items[k]!;
    if (node.t === 'options') {
      const next = applyOptions(flags, node.on, node.off);
      if (next.i !== flags.i) out += next.i ? '(?i)' : '(?-i)';
      Object.assign(flags, next);
      continue;
    }
    const isLast = k === lastReal;
    const prev = k > 0 ? items[k - 1] : undefined;
    const next = k + 1 <= lastReal ? items[k + 1] : undefined;
    out += emitNode(node, prev?.t === 'options' ? undefined : prev, next?.t === 'options' ? undefined : next, flags, { ...place, tail: place.tail && isLast, last: place.last && isLast }, ctx);
  }
  return out;
}

function emitAlternatives(alternatives: readonly RegexNode[][], flags: Flags, place: Place, ctx: Context): string {
  // Options set in one alternative last into the following ones (.NET and RE2 agree).
  const f = { ...flags };
  return alternatives.map((alt, k) => emitSequence(alt, f, { ...place, last: place.last && k === alternatives.length - 1 }, ctx)).join('|');
}

function* walk(nodes: readonly RegexNode[]): Generator<RegexNode> {
  for (const node of nodes) {
    yield node;
    if (node.t === 'group' || node.t === 'look') for (const alt of node.body) yield* walk(alt);
    if (node.t === 'repeat') yield* walk([node.body]);
  }
}

function nestedQuantifiers(alternatives: readonly RegexNode[][]): RegexWarning[] {
  const warnings: RegexWarning[] = [];
  for (const alt of alternatives) {
    for (const node of walk(alt)) {
      if (node.t !== 'repeat' || node.max <= 1) continue;
      const inner = [...walk([node.body])].find((x) => x !== node.body && x.t === 'repeat' && x.max > 1) ?? (node.body.t === 'repeat' && node.body.max > 1 ? node.body : undefined);
      if (inner) {
        warnings.push({
          code: 'DG_LANG_REGEX_NESTED_QUANTIFIER',
          message: 'nested quantifier (a repeated group that itself repeats, like (a+)+): exponential time in a backtracking engine such as the .NET one AD FS runs; devicegate runs it in linear time (RE2), but rewrite it without the nesting',
          offset: node.at,
          length: node.len,
        });
      }
    }
  }
  return warnings;
}

function literalShape(alternatives: readonly RegexNode[][]): LiteralShape | undefined {
  if (alternatives.length !== 1) return undefined;
  const items = alternatives[0]!;
  let ignoreCase = false;
  let anchoredStart = false;
  let anchoredEnd = false;
  let text = '';
  let choices: string[] | undefined;
  const charsOnly = (alt: readonly RegexNode[]): string | undefined => {
    let out = '';
    for (const x of alt) {
      if (x.t !== 'char') return undefined;
      out += String.fromCodePoint(x.cp);
    }
    return out;
  };
  for (let k = 0; k < items.length; k++) {
    const node = items[k]!;
    if (node.t === 'group' && node.on === undefined && anchoredStart && text === '' && !choices && k === items.length - 2 && (items[k + 1]!.t === 'eol' || items[k + 1]!.t === 'endZ')) {
      // ^(A|B|C)$ (capture or not: a test does not look at groups)
      const texts = node.body.map(charsOnly);
      if (texts.some((x) => x === undefined)) return undefined;
      choices = texts as string[];
    } else if (node.t === 'options' && text === '' && !choices && node.off === '' && (node.on === 'i' || node.on === '')) {
      if (node.on === 'i') ignoreCase = true;
    } else if (node.t === 'bol' && text === '' && !anchoredStart) {
      anchoredStart = true;
    } else if (node.t === 'char' && !anchoredEnd) {
      text += String.fromCodePoint(node.cp);
    } else if ((node.t === 'eol' || node.t === 'endZ') && k === items.length - 1) {
      anchoredEnd = true;
    } else {
      return undefined;
    }
  }
  if (choices) {
    if (!anchoredEnd || (ignoreCase && choices.some((c) => /[^\x00-\x7f]/.test(c)))) return undefined;
    return { text: '', choices, ignoreCase, anchoredStart, anchoredEnd };
  }
  if (ignoreCase && /[^\x00-\x7f]/.test(text)) return undefined;
  return { text, ignoreCase, anchoredStart, anchoredEnd };
}

/** ^(?!x)rest / ^(?=x)rest at the start of a test pattern: rest, plus one anchored test per lookahead. */
function splitLeadingLookaheads(alternatives: readonly RegexNode[][]): { main: RegexNode[]; prefix: RegexNode[]; looks: Extract<RegexNode, { t: 'look' }>[] } | undefined {
  if (alternatives.length !== 1) return undefined;
  const items = alternatives[0]!;
  let k = 0;
  while (k < items.length && items[k]!.t === 'options') k++;
  if (items[k]?.t !== 'bol' && items[k]?.t !== 'start') return undefined;
  k++;
  while (k < items.length && items[k]!.t === 'options') k++;
  const looks: Extract<RegexNode, { t: 'look' }>[] = [];
  while (k < items.length && items[k]!.t === 'look' && !(items[k] as { behind: boolean }).behind) looks.push(items[k++] as Extract<RegexNode, { t: 'look' }>);
  if (looks.length === 0) return undefined;
  const prefix = items.slice(0, k - looks.length);
  if (prefix.some((x) => x.t === 'options' && (x.on.includes('m') || x.off.includes('m')))) return undefined;
  return { main: [...prefix, ...items.slice(k)], prefix, looks };
}

const LEADING_START = /^((?:\(\?-?i\))*)\\A/;
const TAIL_EOL = '(?:\\n?\\z)';

/** The whole-input form of a start-anchored test pattern (see TranslatedRegex.exact), or undefined. */
function exactForm(source: string, last: RegexNode | undefined): string | undefined {
  const m = LEADING_START.exec(source);
  if (!m) return undefined;
  const body = m[1]! + source.slice(m[0].length);
  if ((last?.t === 'eol' || last?.t === 'endZ') && body.endsWith(TAIL_EOL)) return `${body.slice(0, -TAIL_EOL.length)}\\n?`;
  if (last?.t === 'end' && body.endsWith('\\z')) return body.slice(0, -2);
  return `${body}(?s:.*)`;
}

function tryCompile(source: string, lookbehinds: boolean, length: number): void {
  try {
    RE2JS.compile(source, lookbehinds ? RE2JS.LOOKBEHINDS : 0);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    fail(invalid(`regular expression not accepted by the engine (RE2): ${message}`, 0, length));
  }
}

export function translateRegex(pattern: string, mode: RegexMode = 'test'): TranslatedRegex | RegexProblem {
  const parsed = parseRegex(pattern);
  if (!parsed.ok) return parsed;
  try {
    const ctx: Context = { mode, lookbehinds: false, endGroup: false };
    const flags = (): Flags => ({ i: false, m: false, s: false });
    let alternatives = parsed.alternatives;
    const conditions: { source: string; lookbehinds: boolean; negate: boolean }[] = [];
    const split = mode === 'test' ? splitLeadingLookaheads(alternatives) : undefined;
    if (split) {
      for (const look of split.looks) {
        const c: Context = { ...ctx, lookbehinds: false };
        const f = flags();
        const prefix = emitSequence(split.prefix, f, { tail: false, inLookbehind: false, noCapture: true, last: false }, c);
        const body = emitAlternatives(look.body, f, { tail: true, inLookbehind: false, noCapture: true, last: false }, c);
        conditions.push({ source: exactForm(`${prefix}(?:${body})`, undefined)!, lookbehinds: c.lookbehinds, negate: look.negated });
      }
      alternatives = [split.main];
    }
    let source = emitAlternatives(alternatives, flags(), { tail: true, inLookbehind: false, noCapture: false, last: true }, ctx);
    let exact = false;
    if (mode === 'test' && alternatives.length === 1) {
      const items = alternatives[0]!.filter((x) => x.t !== 'options');
      const whole = exactForm(source, items[items.length - 1]);
      if (whole !== undefined) {
        source = whole;
        exact = true;
      }
    }
    // .NET numbers unnamed groups first, then named ones; RE2 numbers all in order of appearance.
    const groups = parsed.groups;
    const dotnetToJs = [0];
    groups.forEach((g, k) => { if (!g.name) dotnetToJs.push(k + 1); });
    groups.forEach((g, k) => { if (g.name) dotnetToJs.push(k + 1); });
    const groupNames = new Set(groups.flatMap((g) => (g.name ? [g.name] : [])));
    const literal = split ? undefined : literalShape(alternatives);
    // Literal-only patterns never reach the engine (and are valid RE2 by construction).
    if (!literal) tryCompile(source, ctx.lookbehinds, pattern.length);
    for (const c of conditions) tryCompile(c.source, c.lookbehinds, pattern.length);
    const result: TranslatedRegex = {
      ok: true, mode, source, lookbehinds: ctx.lookbehinds, exact, conditions, dotnetToJs, groupNames, warnings: nestedQuantifiers(parsed.alternatives),
    };
    if (ctx.endGroup) result.endGroup = groups.length + 1;
    if (literal) result.literal = literal;
    return result;
  } catch (error) {
    if (error instanceof Stop) return error.problem;
    throw error;
  }
}

/** A .NET Regex.Replace replacement string to a replacement template (JavaScript syntax, as re2js expands it). */
export function translateReplacement(replacement: string, regex: TranslatedRegex): { ok: true; template: string } | RegexProblem {
  let out = '';
  const n = replacement.length;
  if (regex.endGroup !== undefined) {
    const whole = /\$(?:0|\{0\})(?!\d)/.exec(replacement);
    if (whole) return unsupported(`replacement '${whole[0]}' (the whole match) with a pattern ending in '$' is not supported`, whole.index, whole[0].length);
  }
  const groupRef = (net: number): string | undefined => {
    if (net === 0) return '$&';
    const js = regex.dotnetToJs[net];
    return js === undefined ? undefined : `$${String(js).padStart(2, '0')}`;
  };
  for (let i = 0; i < n; i++) {
    const c = replacement[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    const e = replacement[i + 1];
    if (e === '$') {
      out += '$$';
      i++;
    } else if (e === '{') {
      const close = replacement.indexOf('}', i + 2);
      const name = close < 0 ? undefined : replacement.slice(i + 2, close);
      if (name !== undefined && /^\d+$/.test(name) && groupRef(Number(name)) !== undefined) {
        out += groupRef(Number(name))!;
        i = close;
      } else if (name !== undefined && regex.groupNames.has(name)) {
        out += `$<${name}>`;
        i = close;
      } else {
        out += '$$'; // .NET leaves an unknown ${...} as literal text
      }
    } else if (e !== undefined && /\d/.test(e)) {
      let j = i + 1;
      while (j < n && /\d/.test(replacement[j]!)) j++;
      // .NET takes the longest digit run that names an existing group
      let k = j;
      while (k > i + 1 && groupRef(Number(replacement.slice(i + 1, k))) === undefined) k--;
      if (k === i + 1) {
        out += '$$';
      } else {
        const ref = groupRef(Number(replacement.slice(i + 1, k)))!;
        if (ref.length > 3 && ref !== '$&') return unsupported('group numbers above 99 are not supported in replacements', i, k - i);
        out += ref;
        i = k - 1;
      }
    } else if (e === '&' || e === '`' || e === "'") {
      if (regex.endGroup !== undefined && e !== '`') return unsupported(`replacement '$${e}' with a pattern ending in '$' is not supported`, i, 2);
      out += `$${e}`;
      i++;
    } else if (e === '+' || e === '_') {
      return unsupported(`replacement '$${e}' is .NET-only`, i, 2);
    } else {
      out += '$$';
    }
  }
  // A trailing '$' consumed the final \n (if any): the replacement puts it back.
  if (regex.endGroup !== undefined) out += `$${String(regex.endGroup).padStart(2, '0')}`;
  return { ok: true, template: out };
}
