import t from 'tap';
import fc from 'fast-check';
import { translateRegex } from '../../src/language/index.js';
import { literalRegexTest } from '../../src/language/regex-literal.js';
import { compileTest } from '../../src/language/regex-engine.js';
import { claim, evaluate, tv } from './helpers.js';

// literalRegexTest replaces the engine (re2js) for literal-only patterns; it must agree with the
// engine running the translated pattern, for every input.
function both(pattern: string): { fast: ((s: string) => boolean) | undefined; re: { test: (s: string) => boolean } } {
  const tr = translateRegex(pattern);
  if (!tr.ok) throw new Error(`pattern ${pattern} does not translate: ${tr.message}`);
  return { fast: tr.literal ? literalRegexTest(tr.literal) : undefined, re: { test: compileTest(tr, false) } };
}

const shapes: [string, boolean][] = [
  ['^(AD AUTHORITY|SELF AUTHORITY|LOCAL AUTHORITY)$', true], ['^(?i)(?:a|b\\.c|)$', true], ['^(a|b)', false], ['(a|b)$', false], ['^(a|b+)$', false], ['^(a|b)x$', false],
  ['^(?i)true$', true], ['(?i)^true$', true], ['-512$', true], ['^S-1-5-21', true], ['contoso', true], ['^(?i)a\\.b\\-c$', true], ['^$', true], ['', true],
  ['(?i)é', false], ['(?i)\u017F', false], ['^a.b$', false], ['a|b', false], ['^\\d+$', false], ['(?m)^a$', false], ['a\\n', true], ['x?', false], ['^(?i)\\p{L}$', false],
];
for (const [pattern, literal] of shapes) {
  t.test(`fast path ${literal ? 'taken' : 'not taken'} for ${JSON.stringify(pattern)}`, async (t) => {
    t.equal(both(pattern).fast !== undefined, literal);
  });
}

const examples: [string, string, boolean][] = [
  ['^(AD AUTHORITY|SELF AUTHORITY)$', 'SELF AUTHORITY', true], ['^(AD AUTHORITY|SELF AUTHORITY)$', 'AD AUTHORITY\n', true],
  ['^(AD AUTHORITY|SELF AUTHORITY)$', 'AD AUTHORITYX', false], ['^(AD AUTHORITY|SELF AUTHORITY)$', 'ad authority', false],
  ['^(?i)(AD AUTHORITY|SELF AUTHORITY)$', 'ad authority', true], ['^(a|)$', '', true], ['^(a|)$', 'b', false],
  ['^(?i)true$', 'TRUE', true], ['^(?i)true$', 'true\n', true], ['^(?i)true$', 'true\n\n', false], ['^(?i)true$', 'truex', false], ['^(?i)true$', ' true', false],
  ['-512$', 'S-1-5-21-1-2-3-512', true], ['-512$', 'S-1-5-21-1-2-3-512\n', true], ['-512$', 'S-1-5-21-1-2-3-5120', false],
  // .NET Framework (?i) compares ToLower: the Kelvin sign lowers to 'k'; 'ſ' lowers to itself.
  ['(?i)k', '\u212A', true], ['(?i)s', '\u017F', false], ['(?i)\u017F', 's', false], ['(?i)\u017F', '\u017F', true], ['(?i)^CL-AWS', 'cl-aws-1', true], ['abc', 'xxabcxx', true], ['abc', 'ABC', false],
];
for (const [pattern, input, want] of examples) {
  t.test(`${JSON.stringify(pattern)} on ${JSON.stringify(input)}`, async (t) => {
    const { fast, re } = both(pattern);
    t.equal(re.test(input), want, 'engine');
    if (fast) t.equal(fast(input), want, 'fast path');
  });
}

const piece = fc.constantFrom('a', 'A', 'k', 'K', 's', 'S', 'z', '-', '1', '/', '\\.', '\\-', '\\$', '\\^', '\u212A', '\u017F', 'é', ' ');
const literalPattern = fc.tuple(fc.boolean(), fc.boolean(), fc.array(piece, { maxLength: 4 }), fc.boolean()).map(([caret, ci, parts, dollar]) => `${caret ? '^' : ''}${ci ? '(?i)' : ''}${parts.join('')}${dollar ? '$' : ''}`);
// ^(A|B|...)$ alternations of literals (the other fast-path shape)
const choicePattern = fc.tuple(fc.boolean(), fc.boolean(), fc.array(fc.array(piece, { maxLength: 3 }).map((p) => p.join('')), { minLength: 1, maxLength: 3 }))
  .map(([ci, capture, alts]) => `^${ci ? '(?i)' : ''}(${capture ? '' : '?:'}${alts.join('|')})$`);
const pattern = fc.oneof(literalPattern, choicePattern);
const input = fc.array(fc.constantFrom('a', 'A', 'k', 'K', 's', 'S', 'z', '-', '1', '/', '.', '$', '^', '\u212A', '\u017F', 'é', 'É', ' ', '\n'), { maxLength: 7 }).map((xs) => xs.join(''));

t.test('agrees with the engine on generated literal patterns and inputs', async (t) => {
  let checked = 0;
  fc.assert(
    fc.property(pattern, fc.array(input, { minLength: 1, maxLength: 8 }), (p, inputs) => {
      const { fast, re } = both(p);
      if (!fast) return true;
      checked++;
      return inputs.every((s) => fast(s) === re.test(s));
    }),
    { numRuns: 2000 },
  );
  t.ok(checked > 1000, `${checked} patterns took the fast path`);
});

t.test('negated template regex in a rule', async (t) => {
  const rules = 'c:[Type == "d", Value !~ "^(?i)true$"] => issue(Type = "not", Value = c.Value);';
  t.same(tv(evaluate(rules, [claim('d', 'True'), claim('d', 'false'), claim('d', 'true\n'), claim('d', 'TRUE ')])), ['not=false', 'not=TRUE ']);
});
