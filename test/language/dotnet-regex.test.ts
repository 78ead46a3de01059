import t from 'tap';
import fc from 'fast-check';
import { compileRuleSet, LanguageError, translateRegex } from '../../src/language/index.js';
import { compileTest } from '../../src/language/regex-engine.js';
import { claim, evaluate, tv } from './helpers.js';

/**
 * .NET oracle: what System.Text.RegularExpressions.Regex.IsMatch(input, pattern) answers, written as
 * data from the .NET documentation ("Character classes in regular expressions": \d = \p{Nd};
 * \w = [\p{L}\p{Mn}\p{Nd}\p{Pc}]; \s = [\f\n\r\t\v\x85\p{Z}]; \b between \w and \W; "Anchors": $ and
 * \Z match before a final \n, \z only at the end; "Miscellaneous constructs" / "Regular expression
 * options": inline options apply from where they stand to the end of the enclosing group) and
 * .NET Framework's IgnoreCase (both sides lowered with ToLower: the Kelvin sign U+212A lowers to 'k',
 * 'ſ' U+017F lowers to itself).
 */
const ORACLE: [pattern: string, input: string, dotnet: boolean][] = [
  // \d = \p{Nd}
  ['^\\d+$', '123', true],
  ['^\\d+$', '\u0661\u0662\u0663', true], // Arabic-Indic digits
  ['^\\d$', '\u0969', true], // Devanagari 3
  ['^\\d$', '\uFF10', true], // fullwidth 0
  ['^\\d$', '\u00B2', false], // superscript two (No)
  ['^\\d$', '\u216B', false], // roman numeral twelve (Nl)
  ['^\\D$', '\u0663', false],
  ['^\\D$', 'a', true],
  ['^[\\d]+$', '\u0661\u0662', true],
  ['^[^\\d]$', '\u0663', false],
  ['^[\\dA-F]+$', '\u06610F', true],
  // \w = [\p{L}\p{Mn}\p{Nd}\p{Pc}]
  ['^\\w+$', 'h\u00E9llo', true],
  ['^\\w+$', '\u65E5\u672C\u8A9E', true],
  ['^\\w+$', 'a_b', true],
  ['^\\w+$', 'a-b', false],
  ['^\\w+$', 'ab\u0301', true], // combining acute (Mn)
  ['^\\w$', '\u203F', true], // undertie (Pc)
  ['^\\w+$', 'a\u0903', false], // Devanagari visarga (Mc) is not a word character
  ['^\\w$', '\u00B2', false],
  ['^\\W$', '\u00E9', false],
  ['^\\W$', '-', true],
  ['^[\\w.]+$', 'j\u00F6rg.m\u00FCller', true],
  ['^[^\\w]$', '\u00E9', false],
  // \s = [\f\n\r\t\v\x85\p{Z}]
  ['^\\s$', ' ', true],
  ['^\\s$', '\u00A0', true], // no-break space (Zs)
  ['^\\s$', '\u2028', true], // line separator (Zl)
  ['^\\s$', '\u2029', true], // paragraph separator (Zp)
  ['^\\s$', '\u3000', true], // ideographic space
  ['^\\s$', '\u0085', true], // NEL
  ['^\\s$', '\u000B', true],
  ['^\\s$', '\u200B', false], // zero width space (Cf)
  ['^\\s$', '\u001C', false], // file separator (Cc, not in the set)
  ['^\\S$', '\u00A0', false],
  ['^[\\s,]+$', ' ,\u00A0', true],
  // \b and \B against .NET's \w
  ['\\bcat\\b', 'a cat.', true],
  ['\\bcat\\b', 'concat', false],
  ['\\bcat\\b', '\u00E9cat', false],
  ['\\bcat\\b', 'cat\u00E9', false],
  ['\\bcat\\b', 'cat_', false],
  ['\\bcat\\b', '\u0661cat', false],
  ['\\bcat\\b', 'cat', true],
  ['\\b10\\.3\\.4\\.5\\b', 'x=10.3.4.5;', true],
  ['\\b10\\.3\\.4\\.5\\b', '\u00E910.3.4.5', false],
  ['\\b10\\.3\\.4\\.5\\b', '10.3.4.55', false],
  ['\\b10\\.3\\.4\\.5\\b', '110.3.4.5', false],
  ['\\b192\\.168\\.4\\.([1-9]|[1-9][0-9]|1[0-9][0-9]|2[0-5][0-9])\\b|\\b10\\.3\\.4\\.5\\b', 'ip 192.168.4.17 ok', true],
  ['\\b192\\.168\\.4\\.([1-9]|[1-9][0-9]|1[0-9][0-9]|2[0-5][0-9])\\b|\\b10\\.3\\.4\\.5\\b', '192.168.4.17\u0661', false],
  ['\\Bcat', 'concat', true],
  ['\\Bcat', 'a cat', false],
  ['cat\\B', 'cats', true],
  ['cat\\B', 'cat.', false],
  ['-\\b', 'a-\u00E9', true],
  ['-\\b', 'a- ', false],
  // inline options apply from where they stand
  ['ab(?i)c', 'abC', true],
  ['ab(?i)c', 'ABc', false],
  ['(?i:a)b', 'Ab', true],
  ['(?i:a)b', 'aB', false],
  ['(?i)a(?-i)b', 'Ab', true],
  ['(?i)a(?-i)b', 'AB', false],
  ['(a(?i)b)c', 'aBc', true],
  ['(a(?i)b)c', 'aBC', false],
  ['a(?i)b|c', 'C', true],
  ['^(?i)true$', 'TRUE', true],
  ['(?i)^CL-AWS-(\\d{12})', 'cl-aws-123456789012', true],
  // IgnoreCase as .NET Framework's ToLower
  ['(?i)k', '\u212A', true],
  ['(?i)s', '\u017F', false],
  ['(?i)\u017F', 'S', false],
  ['(?i)^[a-z]+$', 'ABC', true],
  ['(?i)^[a-z]+$', '\u017F', false],
  ['(?i)^[a-z]+$', '\u212A', true],
  ['(?i)^[^s]$', '\u017F', true],
  ['(?i)^[^s]$', 'S', false],
  ['(?i)^[r-t]+$', 'rSt', true],
  ['(?i)^[r-t]+$', '\u017F', false],
  ['(?i)^[\u017F]$', 's', false],
  ['(?i)^[\u017F]$', '\u017F', true],
  ['(?i)^[^\u017F]$', 'S', true],
  ['(?i)@contoso\.com$', 'bob@CONTOSO.COM', true],
  ['(?i)@contoso\.com$', 'bob@conto\u017Fo.com', false],
  // anchors, dot, multiline, singleline
  ['^abc$', 'abc\n', true],
  ['^abc$', 'abc\n\n', false],
  ['abc\\z', 'abc\n', false],
  ['abc\\Z', 'abc\n', true],
  ['\\Aabc', 'xabc', false],
  ['(?m)^b$', 'a\nb\nc', true],
  ['^b$', 'a\nb\nc', false],
  ['(?s)a.b', 'a\nb', true],
  ['a.b', 'a\nb', false],
  ['a.b', 'a\rb', true],
  ['^.{3}$', 'a\u00E9c', true],
  // lookarounds accepted by shape
  ['^(?!192\\.168\\.1\\.77|10\\.83\\.118\\.23)', '192.168.1.77', false],
  ['^(?!192\\.168\\.1\\.77|10\\.83\\.118\\.23)', '10.0.0.1', true],
  ['^(?=.*\\d)(?=.*[a-z]).{8,}$', 'abcdefg1', true],
  ['^(?=.*\\d)(?=.*[a-z]).{8,}$', 'abcdefgh', false],
  ['^(?=.*\\d)(?=.*[a-z]).{8,}$', '\u0661bcdefgh', true],
  ['a(?=b)', 'ab', true],
  ['a(?=b)', 'ac', false],
  ['(?<=a)b', 'ab', true],
  ['(?<=a)b', 'cb', false],
  ['(?<!a)b', 'ab', false],
  ['(?<!a)b', 'b', true],
  // escapes and classes
  ['^\\x41\\u0042\\103$', 'ABC', true],
  ['^[]a]+$', ']a', true],
  ['\\e', '\u001B', true],
  ['^a{2,3}$', 'aaaa', false],
  ['^a{,2}$', 'a{,2}', true], // not a quantifier in .NET: literal
  ['^\\p{Lu}\\P{Lu}$', 'Ab', true],
  ['^(?#comment)a$', 'a', true],
  ['^(?<user>[^@]+)@(.+)$', 'bob@contoso.com', true],
];

/** Test names in ASCII (U+2028 and friends would break TAP lines). */
const show = (s: string): string => JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

for (const [pattern, input, want] of ORACLE) {
  t.test(`${show(pattern)} on ${show(input)} -> ${want}`, async (t) => {
    const tr = translateRegex(pattern);
    if (!tr.ok) {
      t.fail(`does not translate: ${tr.message} at ${tr.offset}`);
      return;
    }
    t.equal(compileTest(tr)(input), want, 'as .NET');
    t.equal(compileTest(tr, false)(input), want, 'engine (no literal fast path)');
  });
}

/** Regex.Replace(input, pattern, replacement) per .NET (named groups numbered after unnamed ones). */
const REPLACE_ORACLE: [input: string, pattern: string, replacement: string, dotnet: string][] = [
  ['bob@contoso.com', '^(?<user>[^@]+)@(.+)$', '${user}@IDP', 'bob@IDP'],
  ['bob@x\n', '^(?<user>[^@]+)@(.+)$', '${user}@IDP', 'bob@IDP\n'],
  ['a\n', 'a$', 'X', 'X\n'],
  ['CLD-AWS-123456789012-Admins', 'CLD-AWS-(\\d{12})-', 'arn:$1:', 'arn:123456789012:Admins'],
  ['CONTOSO\\bob', '(?<domain>[^\\\\]+)\\\\(?<user>.+)', '${user}', 'bob'],
  ['ab', '(?<n>a)(b)', '$1$2', 'ba'],
  ['a\u0661\u0662b', '\\d+', '#', 'a#b'],
  ['xaybz', '[ab]', '$$', 'x$y$z'],
  ['aaa', 'a', '$0$0', 'aaaaaa'],
];

for (const [input, pattern, replacement, want] of REPLACE_ORACLE) {
  t.test(`RegexReplace(${show(input)}, ${show(pattern)}, ${show(replacement)})`, async (t) => {
    const rules = `c:[Type == "in"] => issue(Type = "out", Value = RegexReplace(c.Value, "${pattern}", "${replacement}"));` // rule strings have no escapes;
    t.same(tv(evaluate(rules, [claim('in', input)])), [`out=${want}`]);
  });
}

t.test('catastrophic patterns answer correctly in linear time (ReDoS)', async (t) => {
  const long = 'a'.repeat(20_000);
  const cases: [string, string, boolean][] = [
    ['^(a+)+$', `${long}!`, false],
    ['^(a+)+$', long, true],
    ['(x+x+)+y', 'x'.repeat(20_000), false],
    ['^(\\w+\\s?)*$', `${'word '.repeat(4000)}!`, false],
    ['^(a|a)*$', `${long}b`, false],
  ];
  for (const [pattern, input, want] of cases) {
    const rules = `c:[Type == "v", Value =~ "${pattern}"] => issue(Type = "hit", Value = "1");`;
    t.same(tv(evaluate(rules, [claim('v', input)])), want ? ['hit=1'] : [], pattern);
  }
});

t.test('dynamic patterns (=~ c.Value): same engine and semantics', async (t) => {
  const rules = `p:[Type == "p"] && v:[Type == "v", Value =~ p.Value] => issue(Type = "hit", Value = v.Value);`;
  t.same(tv(evaluate(rules, [claim('p', '^\\d+$'), claim('v', '\u0661\u0662'), claim('v', 'x1')])), ['hit=\u0661\u0662']);
  t.same(tv(evaluate(rules, [claim('p', '^(a+)+$'), claim('v', `${'a'.repeat(20_000)}!`)])), [], 'catastrophic dynamic pattern: linear');
  // More distinct patterns than the cache holds: still right (least recently used ones are recompiled).
  const many = Array.from({ length: 300 }, (_, i) => claim('p', `^v${i}$`));
  t.equal(evaluate(rules, [...many, claim('v', 'v7'), claim('v', 'v299')]).output.length, 2);
});

t.test('a dynamic pattern that cannot be used throws DG_ERR_LANGUAGE_REGEX naming the rule', async (t) => {
  const rules = `c:[Type == "x"] => issue(Type = "y", Value = "1");
p:[Type == "p"] && v:[Type == "v", Value =~ p.Value] => issue(Type = "hit", Value = v.Value);`;
  const { ruleSet } = compileRuleSet(rules);
  for (const bad of ['(a', '(a)\\1', 'a(?=b)c', `^${'a'.repeat(2000)}$`]) {
    try {
      ruleSet!.evaluate([claim('p', bad), claim('v', 'a')]);
      t.fail(`${bad}: should throw`);
    } catch (error) {
      t.type(error, LanguageError);
      t.equal((error as LanguageError).code, 'DG_ERR_LANGUAGE_REGEX', bad.slice(0, 20));
      t.equal((error as LanguageError).ruleIndex, 1, 'ruleIndex names the rule');
    }
  }
  const replace = `c:[Type == "p"] && v:[Type == "v"] => issue(Type = "r", Value = RegexReplace(v.Value, c.Value, "x"));`;
  try {
    compileRuleSet(replace).ruleSet!.evaluate([claim('p', '(?>a)'), claim('v', 'a')]);
    t.fail('should throw');
  } catch (error) {
    t.match(error, { code: 'DG_ERR_LANGUAGE_REGEX', ruleIndex: 0 });
  }
});

t.test('lint warnings: nested quantifiers and 3-way self-joins (warnings: the rules still load)', async (t) => {
  const nested = compileRuleSet('c:[Type == "v", Value =~ "^(a+)+$"] => issue(claim = c);');
  t.ok(nested.ruleSet, 'loads');
  t.same(nested.diagnostics.map((d) => [d.code, d.severity, `${d.start.line}:${d.start.column}`]), [['DG_LANG_REGEX_NESTED_QUANTIFIER', 'warning', '1:28']]);
  t.same(compileRuleSet('c:[Type == "v", Value =~ "^(ab)+c+$"] => issue(claim = c);').diagnostics, [], 'a single level of repetition is not flagged');
  const G = 'http://schemas.xmlsoap.org/claims/Group';
  const join = compileRuleSet(`c1:[Type == "${G}"] && c2:[Type == "${G}"] && c3:[Type == "${G.toUpperCase()}"] => issue(Type = "x", Value = c1.Value);`);
  t.ok(join.ruleSet);
  t.same(join.diagnostics.map((d) => d.code), ['DG_LANG_SELF_JOIN']);
  t.match(join.diagnostics[0]!.message, /joins claim type .* with itself 3 ways/);
  t.same(compileRuleSet(`c1:[Type == "${G}"] && c2:[Type == "${G}"] && c3:[Type == "other"] => issue(Type = "x", Value = c1.Value);`).diagnostics, [], 'two ways is not flagged');
});

/**
 * Property: on generated patterns (classes, shorthands, groups, alternation, quantifiers, anchors)
 * and inputs drawn from characters where .NET and ASCII semantics differ, the engine agrees with a
 * second, independent rendering of the .NET definitions as a JavaScript `u` RegExp (V8 backtracking,
 * fine for these small patterns): \d = \p{Nd}, \w = [\p{L}\p{Mn}\p{Nd}\p{Pc}], \s =
 * [\f\n\r\t\v\x85\p{Z}], '.' = [^\n], '$' = (?=\n?$) (inputs stay in the BMP: see README "Known differences").
 */
const NET_TO_JS: Readonly<Record<string, string>> = {
  '\\d': '\\p{Nd}', '\\D': '\\P{Nd}',
  '\\w': '[\\p{L}\\p{Mn}\\p{Nd}\\p{Pc}]', '\\W': '[^\\p{L}\\p{Mn}\\p{Nd}\\p{Pc}]',
  '\\s': '[\\f\\n\\r\\t\\v\\x85\\p{Z}]', '\\S': '[^\\f\\n\\r\\t\\v\\x85\\p{Z}]',
  '.': '[^\\n]', 'a': 'a', '1': '1', '-': '-', '_': '_', '\u00E9': '\u00E9', '\\.': '\\.',
  '[a-z]': '[a-z]', '[\\d_]': '[\\p{Nd}_]', '[^a\\s]': '[^a\\f\\n\\r\\t\\v\\x85\\p{Z}]', '[\\w-]': '[\\p{L}\\p{Mn}\\p{Nd}\\p{Pc}\\-]',
};
type Gen = { net: string; js: string };
const atom: fc.Arbitrary<Gen> = fc.constantFrom(...Object.keys(NET_TO_JS)).map((k) => ({ net: k, js: NET_TO_JS[k]! }));
const quantified = fc.tuple(atom, fc.constantFrom('', '', '?', '*', '+', '{1,2}')).map(([a, q]) => ({ net: a.net + q, js: a.js + q }));
const seq = fc.array(quantified, { minLength: 1, maxLength: 4 }).map((xs) => ({ net: xs.map((x) => x.net).join(''), js: xs.map((x) => x.js).join('') }));
const grouped = fc.oneof(
  seq,
  fc.tuple(seq, seq, fc.constantFrom('', '?', '+')).map(([a, b, q]) => ({ net: `(${a.net}|${b.net})${q}`, js: `(${a.js}|${b.js})${q}` })),
);
const genPattern = fc.tuple(fc.boolean(), fc.array(grouped, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([caret, parts, dollar]) => ({
  net: `${caret ? '^' : ''}${parts.map((p) => p.net).join('')}${dollar ? '$' : ''}`,
  js: `${caret ? '^' : ''}${parts.map((p) => p.js).join('')}${dollar ? '(?=\\n?$)' : ''}`,
}));
const genInput = fc.array(fc.constantFrom('a', 'z', '1', '_', '-', '.', ' ', '\n', '\u0661', '\u00E9', 'e\u0301', '\u00A0', '\u2028', '\u0085', '\u00B2', '\u203F', 'A'), { maxLength: 8 }).map((xs) => xs.join(''));

t.test('property: the engine agrees with the .NET class definitions on generated patterns', async (t) => {
  let checked = 0;
  fc.assert(
    fc.property(genPattern, fc.array(genInput, { minLength: 1, maxLength: 6 }), (p, inputs) => {
      const tr = translateRegex(p.net);
      if (!tr.ok) throw new Error(`${p.net}: ${tr.message}`);
      const engine = compileTest(tr, false);
      const reference = new RegExp(p.js, 'u');
      checked++;
      return inputs.every((s) => engine(s) === reference.test(s));
    }),
    { numRuns: 1500 },
  );
  t.equal(checked, 1500);
});
