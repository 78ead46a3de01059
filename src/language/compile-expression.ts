import type { Expression, PropertyName } from './ast.js';
import type { Claim } from './claim.js';
import { LanguageError } from './errors.js';
import { translateRegex, translateReplacement } from './regex-translate.js';

/** The claims bound to a rule's selectors, by selector index. */
export type Tuple = readonly (Claim | undefined)[];
export type StringFn = (t: Tuple) => string;
export type Getter = (c: Claim) => string;

const hasOwn = Object.prototype.hasOwnProperty;

export function propertyGetter(property: PropertyName, key: string | undefined): Getter {
  switch (property) {
    case 'Type': return (c) => c.type;
    case 'Value': return (c) => c.value;
    case 'ValueType': return (c) => c.valueType;
    case 'Issuer': return (c) => c.issuer;
    case 'OriginalIssuer': return (c) => c.originalIssuer;
    case 'Properties': {
      const k = key ?? '';
      // A missing property reads as "" (S1); own properties only, so "constructor" is not found on {}.
      return (c) => (hasOwn.call(c.properties, k) ? c.properties[k]! : '');
    }
  }
}

/**
 * A flat, internalized copy of a rule literal. The lexer's literals are slices of the rule text:
 * comparing them takes V8's slow path, and they keep the whole text alive.
 */
export function internalize(s: string): string {
  const holder: Record<string, number> = { [s]: 0 };
  return Object.keys(holder)[0]!;
}

/** Case-insensitive equality without allocating for ASCII (falls back to toLowerCase for the rest). */
export function equalsIgnoreCase(a: string, b: string): boolean {
  if (a === b) return true;
  const n = a.length;
  if (n !== b.length) return false;
  // From the end: claim types share long prefixes (http://schemas.microsoft.com/...) and differ at the end.
  for (let i = n - 1; i >= 0; i--) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x > 127 || y > 127) return a.toLowerCase() === b.toLowerCase() || a.toUpperCase() === b.toUpperCase();
    const lx = x | 0x20;
    if (lx !== (y | 0x20) || lx < 97 || lx > 122) return false;
  }
  return true;
}

/** Builds a JS RegExp from a .NET pattern, or throws LanguageError (for patterns known only at run time). */
export function buildRegex(pattern: string, global: boolean): { re: RegExp; translated: Exclude<ReturnType<typeof translateRegex>, { ok: false }> } {
  const t = translateRegex(pattern);
  if (!t.ok) throw new LanguageError('DG_ERR_LANGUAGE_REGEX', `regular expression computed at evaluation time is not usable: ${t.message}`);
  return { re: new RegExp(t.source, global ? `${t.flags}g` : t.flags), translated: t };
}

const DYNAMIC_CACHE_LIMIT = 256;

/** Test function for =~ with a pattern computed per tuple (rare): translated once per distinct pattern. */
export function dynamicMatcher(): (pattern: string, input: string) => boolean {
  const cache = new Map<string, RegExp>();
  return (pattern, input) => {
    let re = cache.get(pattern);
    if (!re) {
      re = buildRegex(pattern, false).re;
      if (cache.size >= DYNAMIC_CACHE_LIMIT) cache.clear();
      cache.set(pattern, re);
    }
    return re.test(input);
  };
}

function regexReplace(input: StringFn, pattern: Expression, replacement: Expression, compile: (e: Expression) => StringFn): StringFn {
  if (pattern.kind === 'String' && replacement.kind === 'String') {
    const { re, translated } = buildRegex(pattern.value, true);
    const r = translateReplacement(replacement.value, translated);
    if (!r.ok) throw new LanguageError('DG_ERR_LANGUAGE_REGEX', r.message);
    const template = r.template;
    return (t) => input(t).replace(re, template);
  }
  const pat = compile(pattern);
  const rep = compile(replacement);
  const cache = new Map<string, { re: RegExp; template: string }>();
  return (t) => {
    const p = pat(t);
    const r = rep(t);
    const key = `${p}\u0000${r}`;
    let entry = cache.get(key);
    if (!entry) {
      const { re, translated } = buildRegex(p, true);
      const tr = translateReplacement(r, translated);
      if (!tr.ok) throw new LanguageError('DG_ERR_LANGUAGE_REGEX', tr.message);
      entry = { re, template: tr.template };
      if (cache.size >= DYNAMIC_CACHE_LIMIT) cache.clear();
      cache.set(key, entry);
    }
    return input(t).replace(entry.re, entry.template);
  };
}

/** Compiles an expression to a closure over the tuple; `tagIndex` maps a tag to its selector index. */
export function compileExpression(e: Expression, tagIndex: (tag: string) => number): StringFn {
  const compile = (x: Expression): StringFn => compileExpression(x, tagIndex);
  switch (e.kind) {
    case 'String': {
      const v = internalize(e.value);
      return () => v;
    }
    case 'PropertyRef': {
      const idx = tagIndex(e.tag);
      const get = propertyGetter(e.property, e.key);
      return (t) => get(t[idx]!);
    }
    case 'Concat': {
      const parts = e.parts.map(compile);
      if (parts.length === 2) {
        const [a, b] = parts as [StringFn, StringFn];
        return (t) => a(t) + b(t);
      }
      return (t) => {
        let s = '';
        for (let i = 0; i < parts.length; i++) s += parts[i]!(t);
        return s;
      };
    }
    case 'Call':
      return regexReplace(compile(e.args[0]!), e.args[1]!, e.args[2]!, compile);
  }
}

/** Tags an expression refers to. */
export function referencedTags(e: Expression, into: string[] = []): string[] {
  if (e.kind === 'PropertyRef') into.push(e.tag);
  else if (e.kind === 'Concat') for (const p of e.parts) referencedTags(p, into);
  else if (e.kind === 'Call') for (const a of e.args) referencedTags(a, into);
  return into;
}
