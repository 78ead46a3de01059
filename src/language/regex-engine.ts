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
  const raw: RegexTest = t.exact ? (s) => re.testExact(s) : (s) => re.test(s);
  // The engine is not expected to throw; if it does, that is a coded rule error (fails closed), not a crash.
  const main: RegexTest = (s) => {
    try {
      return raw(s);
    } catch (error) {
      throw engineError(error);
    }
  };
  if (t.conditions.length === 0) return main;
  const conditions = t.conditions.map((c) => ({ re: compileRe2(c.source, c.lookbehinds), negate: c.negate }));
  return (s) => {
    for (const c of conditions) {
      let hit: boolean;
      try {
        hit = c.re.testExact(s);
      } catch (error) {
        throw engineError(error);
      }
      if (hit === c.negate) return false;
    }
    return main(s);
  };
}

/** Regex.Replace of a translated (mode 'replace') pattern with a translated replacement template. */
export function compileReplacer(t: TranslatedRegex, template: string): RegexReplacer {
  const re = compileRe2(t.source, t.lookbehinds);
  return (s) => {
    try {
      return re.matcher(s).replaceAll(template);
    } catch (error) {
      throw engineError(error);
    }
  };
}

/** Longest pattern accepted at evaluation time (=~ with a computed right-hand side, RegexReplace with computed arguments). */
export const DYNAMIC_PATTERN_MAX_LENGTH = 1024;
/** Compiled dynamic patterns kept per rule-set operand (least recently used ones are dropped). */
export const DYNAMIC_CACHE_SIZE = 256;

function engineError(error: unknown): LanguageError {
  if (error instanceof LanguageError) return error;
  return new LanguageError('DG_ERR_LANGUAGE_REGEX', `the regular-expression engine failed: ${error instanceof Error ? error.message : String(error)}`);
}

function dynamicError(message: string): LanguageError {
  return new LanguageError('DG_ERR_LANGUAGE_REGEX', `regular expression computed at evaluation time is not usable: ${message}`);
}

/** Translates and compiles a pattern known only at evaluation time, or throws LanguageError DG_ERR_LANGUAGE_REGEX. */
export function translateDynamic(pattern: string, mode: 'test' | 'replace'): TranslatedRegex {
  if (pattern.length > DYNAMIC_PATTERN_MAX_LENGTH) throw dynamicError(`${pattern.length} characters (at most ${DYNAMIC_PATTERN_MAX_LENGTH})`);
  let t: ReturnType<typeof translateRegex>;
  try {
    t = translateRegex(pattern, mode);
  } catch (error) {
    throw dynamicError(error instanceof Error ? error.message : String(error));
  }
  if (!t.ok) throw dynamicError(`${t.message} (at offset ${t.offset})`);
  return t;
}

/** =~ with a pattern computed per tuple: translated and compiled once per distinct pattern (bounded LRU cache). */
export function dynamicMatcher(): (pattern: string, input: string) => boolean {
  const cache = new LRUCache<string, RegexTest>({ max: DYNAMIC_CACHE_SIZE });
  return (pattern, input) => {
    let test = cache.get(pattern);
    if (!test) {
      const t = translateDynamic(pattern, 'test');
      try {
        test = compileTest(t);
      } catch (error) {
        throw dynamicError(error instanceof Error ? error.message : String(error));
      }
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
      try {
        replace = compileReplacer(t, r.template);
      } catch (error) {
        throw dynamicError(error instanceof Error ? error.message : String(error));
      }
      cache.set(key, replace);
    }
    return replace(input);
  };
}
