import t from 'tap';
import { authorizationOutcome, CLAIM_TYPES, compileRuleSet, DEFAULT_VALUE_TYPE, LanguageError, requiresMfa } from '../../src/language/index.js';
import { claim, evaluate, tv, type EvalCase } from './helpers.js';

const PERMIT = CLAIM_TYPES.permit;
const DENY = CLAIM_TYPES.deny;

// One row per semantic rule of reference §2 (and the case options of §2.3).
const cases: EvalCase[] = [
  { name: 'rule without conditions issues once', rules: '=> issue(Type = "r", Value = "x");', input: [['a', '1'], ['a', '2']], output: ['r=x'] },
  { name: 'empty rule set issues nothing', rules: '', input: [['a', '1']], output: [] },
  { name: 'selector with no match: issuance ignored', rules: 'c:[Type == "b"] => issue(claim = c);', input: [['a', '1']], output: [] },
  {
    name: 'cartesian product of two tags',
    rules: 'c1:[Type == "first"] && c2:[Type == "last"] => issue(Type = "full", Value = c1.Value + " " + c2.Value);',
    input: [['first', 'Frank'], ['first', 'Alan'], ['last', 'Miller'], ['last', 'Shen']],
    output: ['full=Frank Miller', 'full=Frank Shen', 'full=Alan Miller', 'full=Alan Shen'],
  },
  {
    name: 'cartesian product of three tags with concatenation',
    rules: 'c1:[Type == "a"] && c2:[Type == "b"] && c3:[Type == "c"] => issue(Type = "x", Value = c1.Value + c2.Value + c3.Value);',
    input: [['a', '1'], ['a', '2'], ['b', 'x'], ['c', 'p'], ['c', 'q']],
    output: ['x=1xp', 'x=1xq', 'x=2xp', 'x=2xq'],
  },
  {
    name: 'the same claim may bind two tags',
    rules: 'c1:[Type == "a"] && c2:[Type == "a"] => issue(Type = "pair", Value = c1.Value + "-" + c2.Value);',
    input: [['a', 'x']],
    output: ['pair=x-x'],
  },
  { name: 'untagged selectors multiply too', rules: `c:[] => issue(Type = "${PERMIT}", Value = "true");`, input: [['a', '1'], ['b', '2'], ['c', '3']], output: [`${PERMIT}=true`, `${PERMIT}=true`, `${PERMIT}=true`] },
  {
    name: 'add feeds later rules only, issue feeds both',
    rules: 'c:[Type == "a"] => add(Type = "tmp", Value = c.Value);\nc:[Type == "tmp"] => issue(Type = "out", Value = c.Value);\nc:[Type == "out"] => issue(Type = "again", Value = c.Value);',
    input: [['a', '1']],
    output: ['out=1', 'again=1'],
  },
  { name: 'a rule does not see its own output', rules: 'c:[Type == "a"] => issue(Type = "a", Value = "new");\nc:[Type == "a"] => issue(Type = "seen", Value = c.Value);', input: [['a', 'old']], output: ['a=new', 'seen=old', 'seen=new'] },
  { name: 'earlier rules do not see later output (one pass)', rules: 'c:[Type == "late"] => issue(claim = c);\n=> add(Type = "late", Value = "1");', input: [], output: [] },
  { name: 'exists fires once however many claims match', rules: 'exists([Type == "g"]) => issue(Type = "has", Value = "yes");', input: [['g', '1'], ['g', '2'], ['g', '3']], output: ['has=yes'] },
  { name: 'exists with no match does not fire', rules: 'exists([Type == "g"]) => issue(Type = "has", Value = "yes");', input: [['h', '1']], output: [] },
  { name: 'NOT exists fires when nothing matches', rules: 'NOT exists([Type == "g", Value == "2"]) => issue(Type = "no", Value = "2");', input: [['g', '1']], output: ['no=2'] },
  { name: 'NOT exists blocked by a match', rules: 'NOT EXISTS([Type == "g", Value == "2"]) => issue(Type = "no", Value = "2");', input: [['g', '2']], output: [] },
  { name: 'count > N', rules: 'count([Type == "g"]) > 1 => issue(Type = "many", Value = "y");', input: [['g', '1'], ['g', '2']], output: ['many=y'] },
  { name: 'count == N false', rules: 'COUNT([Type == "g"]) == 1 => issue(Type = "one", Value = "y");', input: [['g', '1'], ['g', '2']], output: [] },
  { name: 'count <= and != ', rules: 'count([Type == "g"]) <= 2 && count([Type == "h"]) != 1 => issue(Type = "ok", Value = "y");', input: [['g', '1'], ['g', '2']], output: ['ok=y'] },
  { name: 'exists([]) is true for a non-empty set', rules: 'exists([]) => issue(Type = "any", Value = "y");', input: [['q', '1']], output: ['any=y'] },
  { name: 'exists([]) is false for an empty set', rules: 'exists([]) => issue(Type = "any", Value = "y");', input: [], output: [] },
  {
    name: 'mixed: tuples from selectors, only if every aggregate holds',
    rules: 'c:[Type == "a"] && exists([Type == "flag"]) => issue(Type = "x", Value = c.Value);',
    input: [['a', '1'], ['a', '2'], ['flag', 'on']],
    output: ['x=1', 'x=2'],
  },
  { name: 'mixed: aggregate false blocks', rules: 'c:[Type == "a"] && NOT exists([Type == "flag"]) => issue(Type = "x", Value = c.Value);', input: [['a', '1'], ['flag', 'on']], output: [] },
  { name: 'Value == is ordinal by default', rules: 'c:[Type == "d", Value == "true"] => issue(claim = c);', input: [['d', 'TRUE']], output: [] },
  { name: 'Value == ignoreCase when configured', rules: 'c:[Type == "d", Value == "true"] => issue(claim = c);', input: [['d', 'TRUE']], output: ['d=TRUE'], options: { valueComparison: 'ignoreCase' } },
  { name: 'Type == is case-insensitive by default', rules: 'c:[Type == "http://schemas.xmlsoap.org/claims/group"] => issue(claim = c);', input: [['http://schemas.xmlsoap.org/claims/Group', 'g']], output: ['http://schemas.xmlsoap.org/claims/Group=g'] },
  { name: 'Type == ordinal when configured', rules: 'c:[Type == "http://schemas.xmlsoap.org/claims/group"] => issue(claim = c);', input: [['http://schemas.xmlsoap.org/claims/Group', 'g']], output: [], options: { typeComparison: 'ordinal' } },
  { name: 'Value != is per claim (absent type: no match)', rules: 'c:[Type == "app", Value != "ActiveSync"] => issue(Type = "deny", Value = c.Value);', input: [['other', 'x']], output: [] },
  { name: 'Value != matches other values', rules: 'c:[Type == "app", Value != "ActiveSync"] => issue(Type = "deny", Value = c.Value);', input: [['app', 'ActiveSync'], ['app', 'RPC']], output: ['deny=RPC'] },
  { name: '== is literal, not an alternation', rules: 'c:[Type == "app", Value == "A|B"] => issue(claim = c);', input: [['app', 'A']], output: [] },
  { name: '=~ is a search, not a full match', rules: 'c:[Type == "sid", Value =~ "-515$"] => issue(Type = "dj", Value = "DJ");', input: [['sid', 'S-1-5-21-1-2-3-515'], ['sid', 'S-1-5-21-1-2-3-5150']], output: ['dj=DJ'] },
  { name: '=~ is case-sensitive without (?i)', rules: 'c:[Type == "d", Value =~ "^true$"] => issue(claim = c);', input: [['d', 'True']], output: [] },
  { name: '(?i) makes =~ case-insensitive', rules: 'c:[Type == "d", Value =~ "^(?i)true$"] => issue(claim = c);', input: [['d', 'True'], ['d', 'false']], output: ['d=True'] },
  { name: '(?i) first, then ^', rules: 'c:[Type == "d", Value =~ "(?i)^CL-AWS-(\\d{12})"] => issue(claim = c);', input: [['d', 'cl-aws-123456789012'], ['d', 'cl-aws-1']], output: ['d=cl-aws-123456789012'] },
  { name: '!~ negates the search', rules: 'C1:[Type !~ "XYZ?"] => Issue (claim=C1);', input: [['XY', '1'], ['ab', '2']], output: ['ab=2'] },
  { name: 'negative lookahead', rules: 'c:[Type == "ip", Value =~ "^(?!192\\.168\\.1\\.77|10\\.83\\.118\\.23)"] => issue(claim = c);', input: [['ip', '192.168.1.77'], ['ip', '8.8.8.8']], output: ['ip=8.8.8.8'] },
  { name: '$ also matches before a final newline (.NET)', rules: 'c:[Type == "d", Value =~ "^x$"] => issue(Type = "m", Value = "y");', input: [['d', 'x\n']], output: ['m=y'] },
  { name: '. does not match \\n but matches \\r (.NET)', rules: 'c:[Type == "d", Value =~ "^a.b$"] => issue(Type = "m", Value = c.Value);', input: [['d', 'a\rb'], ['d', 'a\nb']], output: ['m=a\rb'] },
  {
    name: 'RegexReplace with named groups and a literal backslash',
    rules: 'c:[type == "name"] => issue(type = c.type, value = regexreplace(c.value, "(?<domain>[^\\\\]+)\\\\(?<user>.+)", "FABRIKAM\\${user}"));',
    input: [['name', 'CONTOSO\\bob']],
    output: ['name=FABRIKAM\\bob'],
  },
  {
    name: 'RegexReplace with $1 replaces every match',
    rules: 'c:[Type == "g"] => issue(Type = "r", Value = RegExReplace(c.Value, "CLD-AWS-(\\d{12})-", "arn:$1:"));',
    input: [['g', 'CLD-AWS-123456789012-x CLD-AWS-000000000000-y']],
    output: ['r=arn:123456789012:x arn:000000000000:y'],
  },
  { name: 'RegexReplace: no match returns the input', rules: 'c:[Type == "g"] => issue(Type = "r", Value = RegexReplace(c.Value, "zzz", "q"));', input: [['g', 'abc']], output: ['r=abc'] },
  { name: 'RegexReplace: $0 is the whole match, unknown ${x} is literal', rules: 'c:[Type == "g"] => issue(Type = "r", Value = RegexReplace(c.Value, "b+", "[$0]${x}"));', input: [['g', 'abbc']], output: ['r=a[bb]${x}c'] },
  {
    name: '.NET numbers named groups after unnamed ones',
    rules: 'c:[Type == "g"] => issue(Type = "r", Value = RegexReplace(c.Value, "(?<n>a)(b)", "$1$2"));',
    input: [['g', 'ab']],
    output: ['r=ba'],
  },
  { name: 'concatenation with a "\\" literal', rules: 'c1:[Type == "dom"] && c2:[Type == "user"] => issue(Type = "x", Value = c1.Value + "\\" + c2.Value);', input: [['dom', 'D'], ['user', 'u']], output: ['x=D\\u'] },
  { name: 'tags are case-insensitive by default', rules: 'C1:[Type == "a"] => issue(Type = "x", Value = c1.Value);', input: [['a', '1']], output: ['x=1'] },
  { name: 'a constraint may compare with another tag', rules: 'c1:[Type == "a"] && c2:[Type == "b", Value == c1.Value] => issue(Type = "same", Value = c2.Value);', input: [['a', '1'], ['a', '2'], ['b', '2'], ['b', '3']], output: ['same=2'] },
  { name: 'later tag referenced from an earlier selector', rules: 'c1:[Type == "a", Value == c2.Value] && c2:[Type == "b"] => issue(Type = "same", Value = c1.Value);', input: [['a', '1'], ['a', '2'], ['b', '2']], output: ['same=2'] },
  { name: 'missing Properties["x"] reads as ""', rules: 'c:[Type == "a", Properties["x"] == ""] => issue(Type = "p", Value = "[" + c.Properties["x"] + "]");', input: [['a', '1']], output: ['p=[]'] },
  { name: 'Properties lookup does not see Object.prototype', rules: 'c:[Type == "a", Properties["constructor"] == ""] => issue(Type = "p", Value = "ok");', input: [['a', '1']], output: ['p=ok'] },
  { name: 'Issuer condition (AD AUTHORITY vs default)', rules: 'c:[Type == "a", Issuer == "LOCAL AUTHORITY"] => issue(claim = c);', input: [['a', '1']], output: ['a=1'] },
];

for (const c of cases) {
  t.test(c.name, (t) => {
    const r = evaluate(c.rules, c.input.map(([type, value]) => claim(type, value)), c.options);
    t.same(tv(r), c.output);
    t.equal(r.producedBy.length, r.output.length);
    t.end();
  });
}

t.test('deny overrides permit, in any order', (t) => {
  const permitRule = `=> issue(Type = "${PERMIT}", Value = "true");`;
  const denyRule = `c:[Type == "g", Value == "blocked"] => issue(Type = "${DENY}", Value = "DenyUsersWithClaim");`;
  for (const rules of [`${permitRule}\n${denyRule}`, `${denyRule}\n${permitRule}`]) {
    const r = evaluate(rules, [claim('g', 'blocked')]);
    const o = authorizationOutcome(r);
    t.equal(o.result, 'deny');
    t.equal(o.claim?.type, DENY);
    t.equal(o.ruleIndex, rules.startsWith('=>') ? 1 : 0);
    const ok = authorizationOutcome(evaluate(rules, [claim('g', 'fine')]));
    t.equal(ok.result, 'permit');
  }
  t.equal(authorizationOutcome(evaluate(denyRule, [claim('g', 'fine')])).result, 'none', 'nothing issued: none');
  t.equal(authorizationOutcome(evaluate(`=> add(Type = "${PERMIT}", Value = "true");`, [])).result, 'none', 'add does not authorize');
  t.end();
});

t.test('requiresMfa looks for authenticationmethod = multipleauthn in the output', (t) => {
  const rules = `NOT EXISTS([Type == "http://schemas.microsoft.com/2012/01/devicecontext/claims/isregistereduser"])\n => issue(Type = "${CLAIM_TYPES.authenticationMethod}", Value = "${CLAIM_TYPES.multipleAuthn}");`;
  t.equal(requiresMfa(evaluate(rules, []).output), true);
  t.equal(requiresMfa(evaluate(rules, [claim('http://schemas.microsoft.com/2012/01/devicecontext/claims/isregistereduser', 'true')]).output), false);
  t.equal(requiresMfa([claim(CLAIM_TYPES.authenticationMethod, 'urn:other')]), false);
  t.end();
});

t.test('copy preserves every property; new claims get the defaults', (t) => {
  const src = claim('a', 'v', { valueType: 'urn:vt', issuer: 'AD AUTHORITY', originalIssuer: 'ORIG', properties: { p: '1', q: '2' } });
  const r = evaluate('c:[Type == "a"] => issue(claim = c);\nc:[Type == "a"] => issue(Type = "n", Value = c.Value);\nc:[Type == "a"] => issue(Type = "m", Issuer = "X", Properties["k"] = c.Properties["q"], ValueType = c.ValueType);', [src]);
  t.same(r.output[0], src);
  t.same(r.output[1], { type: 'n', value: 'v', valueType: DEFAULT_VALUE_TYPE, issuer: 'LOCAL AUTHORITY', originalIssuer: 'LOCAL AUTHORITY', properties: {} });
  t.equal(r.output.length, 5, 'the copy joins the working set, so later rules see "a" twice');
  t.same(r.output[3], { type: 'm', value: '', valueType: 'urn:vt', issuer: 'X', originalIssuer: 'X', properties: { k: '2' } });
  t.end();
});

t.test('trace says which rules fired with which claims', (t) => {
  const r = evaluate('@RuleName = "one"\nc:[Type == "a"] => add(Type = "b", Value = c.Value);\nc:[Type == "zzz"] => issue(claim = c);\nc:[Type == "b"] => issue(claim = c);', [claim('a', '1')]);
  t.same(r.trace?.map((f) => [f.rule.label, f.fired, f.kind, f.produced.map((c) => c.value)]), [
    ['one', true, 'add', ['1']],
    ['#2 (line 3)', false, 'issue', []],
    ['#3 (line 4)', true, 'issue', ['1']],
  ]);
  const { ruleSet } = compileRuleSet('=> issue(Type = "x", Value = "y");');
  t.equal(ruleSet!.evaluate([]).trace, undefined, 'no trace unless asked');
  t.end();
});

t.test('rule infos carry name, template, line and label', (t) => {
  const { ruleSet } = compileRuleSet('@RuleTemplate = "AllowAllAuthzRule"\n@RuleName = "all"\n => issue(Type = "x", Value = "y");\n\n=> issue(Type = "z", Value = "w");');
  t.same(ruleSet!.rules, [
    { index: 0, line: 1, label: 'all', name: 'all', template: 'AllowAllAuthzRule' },
    { index: 1, line: 5, label: '#2 (line 5)' },
  ]);
  t.end();
});

t.test('input array is not modified', (t) => {
  const input = [claim('a', '1')];
  evaluate('c:[Type == "a"] => issue(Type = "b", Value = "2");', input);
  t.equal(input.length, 1);
  t.end();
});

t.test('constant claims are frozen so sharing them is safe', (t) => {
  const r = evaluate('=> issue(Type = "x", Value = "y");', []);
  t.ok(Object.isFrozen(r.output[0]));
  t.throws(() => {
    (r.output[0] as { value: string }).value = 'z';
  });
  t.end();
});

t.test('runtime regex errors from computed patterns are LanguageErrors', (t) => {
  const { ruleSet } = compileRuleSet('c1:[Type == "p"] && c2:[Type == "v", Value =~ c1.Value] => issue(claim = c2);');
  t.same(tv(ruleSet!.evaluate([claim('p', '^a'), claim('v', 'abc'), claim('v', 'xa')])), ['v=abc']);
  t.throws(() => ruleSet!.evaluate([claim('p', '(('), claim('v', 'x')]), LanguageError);
  t.end();
});
