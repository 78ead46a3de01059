/** JS source of the translated .NET '$' (end, or before a final \n) when the m option is off. */
const END = '(?=\\n?(?![\\s\\S]))';
const SPECIAL = '\\^$.|?*+()[]{}';
const PUNCTUATION = /^[!-/:-@[-`{-~]$/;

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

/**
 * A string test equivalent to `new RegExp(source, flags).test(s)` for the translated patterns rule
 * templates produce: an optional '^', literal characters (or escaped punctuation), an optional '$',
 * flags '' or 'i' (ASCII literal only). Undefined for anything else. Under 'i' without 'u', JavaScript
 * folds only ASCII letters onto ASCII letters, which is what the comparison below does.
 */
export function literalRegexTest(source: string, flags: string): ((s: string) => boolean) | undefined {
  if (flags !== '' && flags !== 'i') return undefined;
  const ci = flags === 'i';
  let i = source.startsWith('^') ? 1 : 0;
  const anchoredStart = i === 1;
  let end = source.length;
  const anchoredEnd = source.endsWith(END) && end - END.length >= i;
  if (anchoredEnd) end -= END.length;
  let lit = '';
  while (i < end) {
    const c = source[i]!;
    if (c === '\\') {
      if (i + 1 >= end || !PUNCTUATION.test(source[i + 1]!)) return undefined;
      lit += source[i + 1]!;
      i += 2;
      continue;
    }
    if (SPECIAL.includes(c)) return undefined;
    lit += c;
    i++;
  }
  if (ci && !isAscii(lit)) return undefined;
  const L = lit.length;
  let eqAt: (s: string, at: number) => boolean;
  if (ci) {
    const lower = lit.toLowerCase();
    eqAt = (s, at) => {
      for (let k = 0; k < L; k++) {
        let x = s.charCodeAt(at + k);
        if (x >= 65 && x <= 90) x |= 0x20;
        if (x !== lower.charCodeAt(k)) return false;
      }
      return true;
    };
  } else {
    eqAt = (s, at) => s.startsWith(lit, at);
  }
  if (anchoredStart && anchoredEnd) {
    return (s) => (s.length === L || (s.length === L + 1 && s.charCodeAt(L) === 10)) && eqAt(s, 0);
  }
  if (anchoredStart) return (s) => s.length >= L && eqAt(s, 0);
  if (anchoredEnd) {
    return (s) => {
      const n = s.length;
      if (n >= L && eqAt(s, n - L)) return true;
      return n >= L + 1 && s.charCodeAt(n - 1) === 10 && eqAt(s, n - 1 - L);
    };
  }
  if (!ci) return (s) => s.includes(lit);
  return (s) => {
    for (let at = 0; at + L <= s.length; at++) if (eqAt(s, at)) return true;
    return false;
  };
}
