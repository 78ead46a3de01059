import t from 'tap';
import { compileRuleSet, DIAGNOSTIC_CODES, formatDiagnostic, parseRuleSet, type LanguageOptions } from '../../src/language/index.js';

interface Row {
  name: string;
  source: string;
  code: string;
  severity?: 'error' | 'warning';
  /** line:column of the diagnostic */
  at?: string;
  message?: RegExp;
  options?: LanguageOptions;
}

// Each row: the rule text, and the diagnostic it must produce (first of that code).
const rows: Row[] = [
  // syntax (parser) — messages say what was expected
  { name: 'trailing comma in a selector', source: 'c:[Type == "a",] => issue(claim = c);', code: 'DG_LANG_SYNTAX', at: '1:16', message: /expected a constraint after ','/ },
  { name: 'missing comma between constraints', source: 'c:[Type == "a" Value == "b"] => issue(claim = c);', code: 'DG_LANG_SYNTAX', at: '1:16', message: /expected ',' or ']'/ },
  { name: 'assignment inside a selector', source: 'c:[Type == "a", Value= "b"] => issue(claim = c);', code: 'DG_LANG_SYNTAX', at: '1:22', message: /comparison operator/ },
  { name: '== in an issuance argument', source: '=> issue(Type == "a");', code: 'DG_LANG_SYNTAX', at: '1:15', message: /expected '='/ },
  { name: 'misspelled issue', source: 'c:[] => Issule(claim = c);', code: 'DG_LANG_SYNTAX', at: '1:9', message: /'issue' or 'add'/ },
  { name: '; instead of :', source: 'c1;[]=>Issue(claim=c1);', code: 'DG_LANG_SYNTAX', at: '1:3', message: /':' after the tag 'c1'/ },
  { name: 'comment is not part of the language', source: '// hello\n=> issue(Type = "a");', code: 'DG_LANG_UNEXPECTED_CHARACTER', at: '1:1', message: /no comments/ },
  { name: 'missing final ; (strict)', source: '=> issue(Type = "a")', code: 'DG_LANG_MISSING_SEMICOLON', at: '1:21' },
  { name: 'missing final ; (lenient)', source: '=> issue(Type = "a")', code: 'DG_LANG_MISSING_SEMICOLON', severity: 'warning', options: { lenient: true } },
  { name: 'missing ; between rules even when lenient', source: '=> issue(Type = "a")\n=> issue(Type = "b");', code: 'DG_LANG_MISSING_SEMICOLON', at: '2:1', options: { lenient: true } },
  { name: 'newline inside a string', source: 'c:[Type == "a\nb"] => issue(claim = c);', code: 'DG_LANG_UNTERMINATED_STRING', at: '1:12' },
  { name: 'smart quotes (strict)', source: 'c:[Type == “a”] => issue(claim = c);', code: 'DG_LANG_SMART_QUOTE', at: '1:12' },
  { name: 'smart quotes (lenient)', source: 'c:[Type == “a”] => issue(claim = c);', code: 'DG_LANG_SMART_QUOTE', severity: 'warning', options: { lenient: true } },
  { name: 'count without a number', source: 'count([Type == "a"]) > x => issue(Type = "b");', code: 'DG_LANG_BAD_INTEGER', at: '1:24' },
  { name: 'tagged aggregate', source: 'c:exists([Type == "a"]) => issue(Type = "b");', code: 'DG_LANG_TAGGED_AGGREGATE', at: '1:1' },
  { name: 'tag inside an aggregate', source: 'exists(c:[Type == "a"]) => issue(Type = "b");', code: 'DG_LANG_TAGGED_AGGREGATE', at: '1:8' },
  { name: 'store arguments out of order', source: 'c:[] => issue(types = ("t"), store = "S", query = "q", param = c.Value);', code: 'DG_LANG_STORE_ARGUMENTS', at: '1:15', message: /expected 'store'/ },
  { name: 'store without query', source: 'c:[] => issue(store = "S", types = ("t"));', code: 'DG_LANG_STORE_ARGUMENTS', message: /'query' is missing/ },
  { name: 'store and claim properties mixed', source: 'c:[] => issue(Type = "x", store = "S", types = ("t"), query = "q");', code: 'DG_LANG_MIXED_ARGUMENTS' },
  { name: 'claim copy with other arguments', source: 'c:[] => issue(Type = "x", claim = c);', code: 'DG_LANG_MIXED_ARGUMENTS' },
  // checker (§1.5)
  { name: 'unbound tag in a copy', source: 'c1:[]=>Issue(claim=c2);', code: 'DG_LANG_UNBOUND_TAG', at: '1:20' },
  { name: 'unbound tag in an expression', source: 'c1:[Type == "a"] => issue(Type = "b", Value = c3.Value);', code: 'DG_LANG_UNBOUND_TAG', at: '1:47', message: /bound tags: c1/ },
  { name: 'case-sensitive tags', source: 'C1:[] => issue(claim = c1);', code: 'DG_LANG_UNBOUND_TAG', message: /did you mean 'C1'/, options: { tagCase: 'sensitive' } },
  { name: 'selector using its own tag', source: 'c:[Type == "a", Value == c.Type] => issue(claim = c);', code: 'DG_LANG_SELF_REFERENCE', at: '1:26' },
  { name: 'aggregate referring to a tag', source: 'c:[Type == "a"] && exists([Value == c.Value]) => issue(claim = c);', code: 'DG_LANG_UNBOUND_TAG' },
  { name: 'new claim without Type', source: '=> issue(Value = "x");', code: 'DG_LANG_MISSING_TYPE', at: '1:4' },
  { name: 'property assigned twice', source: '=> issue(Type = "x", Type = "y");', code: 'DG_LANG_DUPLICATE_ASSIGNMENT', at: '1:22' },
  { name: 'add(claim = c) has no effect', source: 'c:[] => add(claim = c);', code: 'DG_LANG_ADD_COPY', severity: 'warning' },
  { name: 'mixed selectors and aggregates: warning by default', source: 'c:[] && exists([Type == "a"]) => issue(claim = c);', code: 'DG_LANG_MIXED_CONDITIONS', severity: 'warning' },
  { name: 'mixed selectors and aggregates: error when configured', source: 'c:[] && exists([Type == "a"]) => issue(claim = c);', code: 'DG_LANG_MIXED_CONDITIONS', severity: 'error', options: { mixedConditions: 'error' } },
  { name: 'duplicate tags', source: 'c:[Type == "a"] && C:[Type == "b"] => issue(claim = c);', code: 'DG_LANG_DUPLICATE_TAG', severity: 'warning', at: '1:20' },
  { name: 'unknown function', source: 'c:[] => issue(Type = "a", Value = Lower(c.Value));', code: 'DG_LANG_UNKNOWN_FUNCTION', at: '1:35' },
  { name: 'RegexReplace arity', source: 'c:[] => issue(Type = "a", Value = RegexReplace(c.Value, "x"));', code: 'DG_LANG_UNKNOWN_FUNCTION', message: /3 arguments/ },
  { name: 'https claim type lint', source: 'c:[Type == "https://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid"] => issue(claim = c);', code: 'DG_LANG_HTTPS_CLAIM_TYPE', severity: 'warning', at: '1:12', options: { warnHttpsClaimTypes: true } },
  // regular expressions (§1.8): position of the construct inside the string
  { name: 'regex that does not compile', source: 'c:[Value =~ "(("] => issue(claim = c);', code: 'DG_LANG_REGEX_INVALID', at: '1:15' },
  { name: 'atomic group', source: 'c:[Value =~ "a(?>b)"] => issue(claim = c);', code: 'DG_LANG_REGEX_UNSUPPORTED', at: '1:15', message: /atomic/ },
  { name: '\\G', source: 'c:[Value =~ "\\Gabc"] => issue(claim = c);', code: 'DG_LANG_REGEX_UNSUPPORTED', at: '1:14' },
  { name: 'backreference', source: 'c:[Value =~ "(a)\\1"] => issue(claim = c);', code: 'DG_LANG_REGEX_UNSUPPORTED', at: '1:17', message: /backreference/ },
  { name: 'named backreference', source: 'c:[Value =~ "(?<n>a)\\k<n>"] => issue(claim = c);', code: 'DG_LANG_REGEX_UNSUPPORTED', at: '1:21', message: /backreference/ },
  { name: 'lookahead mid-pattern', source: 'c:[Value =~ "a(?=b)c"] => issue(claim = c);', code: 'DG_LANG_REGEX_UNSUPPORTED', at: '1:15', message: /lookahead/ },
  { name: 'negative lookahead at the end', source: 'c:[Value =~ "a(?!b)"] => issue(claim = c);', code: 'DG_LANG_REGEX_UNSUPPORTED', at: '1:15', message: /lookahead/ },
  { name: '\\b between characters of unknown kind', source: 'c:[Value =~ "a.\\b.b"] => issue(claim = c);', code: 'DG_LANG_REGEX_UNSUPPORTED', at: '1:16', message: /\\b/ },
  { name: '$ mid-pattern', source: 'c:[Value =~ "a$b"] => issue(claim = c);', code: 'DG_LANG_REGEX_UNSUPPORTED', at: '1:15' },
  { name: '\\W inside a class', source: 'c:[Value =~ "[a\\W]"] => issue(claim = c);', code: 'DG_LANG_REGEX_UNSUPPORTED', at: '1:16' },
  { name: 'named block', source: 'c:[Value =~ "\\p{IsGreek}"] => issue(claim = c);', code: 'DG_LANG_REGEX_UNSUPPORTED', at: '1:14' },
  { name: 'repeat count over 1000', source: 'c:[Value =~ "a{1001}"] => issue(claim = c);', code: 'DG_LANG_REGEX_UNSUPPORTED', at: '1:14' },
  { name: 'lookahead in RegexReplace', source: 'c:[] => issue(Type = "a", Value = RegexReplace(c.Value, "^(?!x)y", "z"));', code: 'DG_LANG_REGEX_UNSUPPORTED', at: '1:59' },
  { name: 'class subtraction', source: 'c:[Value =~ "[a-z-[aeiou]]"] => issue(claim = c);', code: 'DG_LANG_REGEX_UNSUPPORTED', at: '1:18' },
  { name: '(?x)', source: 'c:[Value =~ "(?x)a b"] => issue(claim = c);', code: 'DG_LANG_REGEX_UNSUPPORTED', at: '1:16' },
  { name: 'balancing group', source: 'c:[Value =~ "(?<a-b>x)"] => issue(claim = c);', code: 'DG_LANG_REGEX_UNSUPPORTED', at: '1:14' },
  { name: 'regex in RegexReplace', source: 'c:[] => issue(Type = "a", Value = RegexReplace(c.Value, "(?>x)", "y"));', code: 'DG_LANG_REGEX_UNSUPPORTED', at: '1:58' },
  { name: '.NET-only replacement $+', source: 'c:[] => issue(Type = "a", Value = RegexReplace(c.Value, "(x)", "$+"));', code: 'DG_LANG_REGEX_UNSUPPORTED', at: '1:65' },
  { name: 'regex in an aggregate', source: 'NOT exists([Value =~ "[z-a]"]) => issue(Type = "a");', code: 'DG_LANG_REGEX_INVALID' },
];

for (const row of rows) {
  t.test(row.name, (t) => {
    const { ruleSet, diagnostics } = compileRuleSet(row.source, { file: 'x.rules', ...row.options });
    const d = diagnostics.find((x) => x.code === row.code);
    t.ok(d, `reports ${row.code}: got ${diagnostics.map((x) => `${x.code}@${x.start.line}:${x.start.column}`).join(', ')}`);
    if (!d) return t.end();
    t.equal(d.severity, row.severity ?? 'error');
    if (row.at) t.equal(`${d.start.line}:${d.start.column}`, row.at);
    if (row.message) t.match(d.message, row.message);
    t.equal(d.file, 'x.rules');
    t.ok(d.code in DIAGNOSTIC_CODES, 'code is in the catalogue');
    t.equal(ruleSet === undefined, diagnostics.some((x) => x.severity === 'error'), 'compiled iff no error');
    t.end();
  });
}

t.test('clean rules produce no diagnostics', (t) => {
  for (const src of [
    'c:[Value =~ "^\\d+(?i)abc$"] => issue(claim = c);',
    'c:[Value =~ "(?<user>[^@]+)@(?<dom>.+)"] => issue(Type = "u", Value = RegexReplace(c.Value, "(?<user>[^@]+)@(?<dom>.+)", "${dom}\\${user} $$ $1"));',
    'c:[Value =~ "(?<=a)b\\b-\\e"] => issue(claim = c);',
    'c:[Value =~ "ab(?i)c(?\'n\'x)\\Ay\\z"] => issue(claim = c);',
    'c:[Value =~ "^(?i)(?!q|r\\b)(?=\\w)[a-z]+$"] => issue(claim = c);',
  ]) {
    t.same(compileRuleSet(src).diagnostics, [], src);
  }
  t.end();
});

t.test('one run reports every error in a file, and good rules still parse', (t) => {
  const src = [
    'c:[Type == "a",] => issue(claim = c);',
    'c:[Type == "ok"] => issue(claim = c);',
    'c:[Type == "b"] => Issule(claim = c);',
    'c:[Type = "c"] => issue(Typ = "x");',
    '=> issue(Type = "fine");',
  ].join('\n');
  const { ast, diagnostics } = parseRuleSet(src);
  t.same(diagnostics.map((d) => d.start.line), [1, 3, 4, 4], 'errors on lines 1, 3 and both errors of line 4 (condition and issuance)');
  t.equal(ast.rules.length, 2, 'the two good rules are in the AST');
  t.end();
});

t.test('formatDiagnostic prints file:line:col, severity, code, message, source line and caret', (t) => {
  const src = 'c:[Type == "a"] =>\n  Issule(claim = c);';
  const { diagnostics } = parseRuleSet(src, { file: 'rp/authorization.rules' });
  const d = diagnostics[0]!;
  t.equal(formatDiagnostic(d), "rp/authorization.rules:2:3: error DG_LANG_SYNTAX: expected 'issue' or 'add', found 'Issule'");
  t.equal(formatDiagnostic(d, src), "rp/authorization.rules:2:3: error DG_LANG_SYNTAX: expected 'issue' or 'add', found 'Issule'\n    Issule(claim = c);\n    ^~~~~~");
  const noFile = parseRuleSet('=> x').diagnostics[0]!;
  t.match(formatDiagnostic(noFile), /^<input>:1:4: error DG_LANG_SYNTAX/);
  t.end();
});

t.test('CR, LF and CRLF count lines alike', (t) => {
  for (const eol of ['\n', '\r\n', '\r']) {
    const { diagnostics } = parseRuleSet(`=> issue(Type = "a");${eol}${eol}c:[] => Issule(claim = c);`);
    t.equal(`${diagnostics[0]?.start.line}:${diagnostics[0]?.start.column}`, '3:9', JSON.stringify(eol));
  }
  t.end();
});

t.test('every catalogued code is reachable (used in the sources)', async (t) => {
  const { readFileSync, readdirSync } = await import('node:fs');
  const dir = new URL('../../src/language/', import.meta.url);
  const text = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'diagnostic-codes.ts').map((f) => readFileSync(new URL(f, dir), 'utf8')).join('\n');
  for (const code of Object.keys(DIAGNOSTIC_CODES)) t.ok(text.includes(`'${code}'`), code);
});
