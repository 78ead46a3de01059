/**
 * Runs translated patterns: re2js (a JavaScript port of RE2: time linear in the input, no
 * backtracking) for everything but literal-only patterns, which are plain string tests.
 */
import { LRUCache } from 'lru-cache';
import { RE2JS } from 're2js';
import { LanguageError } from './errors.js';
import { literalRegexTest } from './regex-literal.js';
import { translateRegex, translateReplacement, type TranslatedRegex } from './regex-translate.js';

export type RegexTest = (s: string) => boolean;
export type RegexReplacer = (s: string) => string;

function compileRe2(source: string, lookbehinds: boolean): RE2JS {
  return RE2JS.compile(source, lookbehinds ? RE2JS.LOOKBEHINDS : 0);
}

/** The test for =~ of a translated (mode 'test') pattern; `useLiteral` false forces the engine (tests compare both). */
export function compileTest(t: TranslatedRegex, useLiteral = true): RegexTest {
  if (t.literal && useLiteral) return literalRegexTest(t.literal);
  const re = compileRe2(t.source, t.lookbehinds);
  const main: RegexTest = t.exact ? (s) => re.testExact(s) : (s) => re.test(s);
  if (t.conditions.length === 0) return main;
  const conditions = t.conditions.map((c) => ({ re: compileRe2(c.source, c.lookbehinds), negate: c.negate }));
  return (s) => {
    for (const c of conditions) if (c.re.testExact(s) === c.negate) return false;
    return main(s);
  };
}

/** Regex.Replace of a translated (mode 'replace') pattern with a translated replacement template. */
export function compileReplacer(t: TranslatedRegex, template: string): RegexReplacer {
  const re = compileRe2(t.source, t.lookbehinds);
  return (s) => re.matcher(s).replaceAll(template);
}

/** Longest pattern accepted at evaluation time (=~ with a computed right-hand side, RegexReplace with computed arguments). */
export const DYNAMIC_PATTERN_MAX_LENGTH = 1024;
/** Compiled dynamic patterns kept per rule-set operand (least recently used ones are dropped). */
export const DYNAMIC_CACHE_SIZE = 256;

function dynamicError(message: string): LanguageError {
  return new LanguageError('DG_ERR_LANGUAGE_REGEX', `regular expression computed at evaluation time is not usable: ${message}`);
}

/** Translates and compiles a pattern known only at evaluation time, or throws LanguageError DG_ERR_LANGUAGE_REGEX. */
export function translateDynamic(pattern: string, mode: 'test' | 'replace'): TranslatedRegex {
  if (pattern.length > DYNAMIC_PATTERN_MAX_LENGTH) throw dynamicError(`${pattern.length} characters (at most ${DYNAMIC_PATTERN_MAX_LENGTH})`);
  const t = translateRegex(pattern, mode);
  if (!t.ok) throw dynamicError(`${t.message} (at offset ${t.offset})`);
  return t;
}

/** =~ with a pattern computed per tuple: translated and compiled once per distinct pattern (bounded LRU cache). */
export function dynamicMatcher(): (pattern: string, input: string) => boolean {
  const cache = new LRUCache<string, RegexTest>({ max: DYNAMIC_CACHE_SIZE });
  return (pattern, input) => {
    let test = cache.get(pattern);
    if (!test) {
      test = compileTest(translateDynamic(pattern, 'test'));
      cache.set(pattern, test);
    }
    return test(input);
  };
}

/** RegexReplace with computed pattern or replacement (bounded LRU cache). */
export function dynamicReplacer(): (pattern: string, replacement: string, input: string) => string {
  const cache = new LRUCache<string, RegexReplacer>({ max: DYNAMIC_CACHE_SIZE });
  return (pattern, replacement, input) => {
    const key = `${pattern}\u0000${replacement}`;
    let replace = cache.get(key);
    if (!replace) {
      const t = translateDynamic(pattern, 'replace');
      const r = translateReplacement(replacement, t);
      if (!r.ok) throw dynamicError(r.message);
      replace = compileReplacer(t, r.template);
      cache.set(key, replace);
    }
    return replace(input);
  };
}
