import type { Expression, PropertyName } from './ast.js';
import type { Claim } from './claim.js';
import { LanguageError } from './errors.js';
import { compileReplacer, dynamicReplacer } from './regex-engine.js';
import { translateRegex, translateReplacement, type TranslatedRegex } from './regex-translate.js';

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

/** Translates a pattern written in the rules (the checker has reported any problem at load). */
export function staticRegex(pattern: string, mode: 'test' | 'replace'): TranslatedRegex {
  const t = translateRegex(pattern, mode);
  if (!t.ok) throw new LanguageError('DG_ERR_LANGUAGE_REGEX', `regular expression is not usable: ${t.message}`);
  return t;
}

function regexReplace(input: StringFn, pattern: Expression, replacement: Expression, compile: (e: Expression) => StringFn): StringFn {
  if (pattern.kind === 'String' && replacement.kind === 'String') {
    const translated = staticRegex(pattern.value, 'replace');
    const r = translateReplacement(replacement.value, translated);
    if (!r.ok) throw new LanguageError('DG_ERR_LANGUAGE_REGEX', r.message);
    const replace = compileReplacer(translated, r.template);
    return (t) => replace(input(t));
  }
  const pat = compile(pattern);
  const rep = compile(replacement);
  const replace = dynamicReplacer();
  return (t) => replace(pat(t), rep(t), input(t));
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
