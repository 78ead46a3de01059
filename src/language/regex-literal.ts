import type { LiteralShape } from './regex-translate.js';

const KELVIN = 0x212a;

/**
 * A string test equivalent to the .NET pattern for literal-only patterns (what rule templates
 * produce): an optional '^', literal characters, an optional '$' (end, or before a final \n), and
 * an optional leading (?i) over an ASCII literal. Under (?i) .NET Framework compares ToLower of each
 * side: ASCII letters fold onto ASCII letters, and the Kelvin sign U+212A lowers to 'k' (while 'ſ'
 * U+017F lowers to itself), which is what the comparison below does.
 */
export function literalRegexTest(shape: LiteralShape): (s: string) => boolean {
  if (shape.choices) {
    // ^(A|B)$ is ^A$|^B$
    const tests = shape.choices.map((text) => literalRegexTest({ text, ignoreCase: shape.ignoreCase, anchoredStart: true, anchoredEnd: true }));
    return (s) => {
      for (let i = 0; i < tests.length; i++) if (tests[i]!(s)) return true;
      return false;
    };
  }
  const { text: lit, ignoreCase: ci, anchoredStart, anchoredEnd } = shape;
  const L = lit.length;
  let eqAt: (s: string, at: number) => boolean;
  if (ci) {
    const lower = lit.toLowerCase();
    eqAt = (s, at) => {
      for (let k = 0; k < L; k++) {
        let x = s.charCodeAt(at + k);
        if (x >= 65 && x <= 90) x |= 0x20;
        else if (x === KELVIN) x = 0x6b;
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
