import t from 'tap';
import { PassThrough } from 'node:stream';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';

function capture(cwd: string): { io: CliIO; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d: Buffer) => (o += d.toString()));
  stderr.on('data', (d: Buffer) => (e += d.toString()));
  return { io: { stdout, stderr, stdin: new PassThrough(), env: {}, cwd }, out: () => o, err: () => e };
}

const GOOD = `@RuleName = "managed devices"
c:[Type == "http://schemas.microsoft.com/2012/01/devicecontext/claims/ismanaged", Value == "true"]
 => issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");
`;
const BAD = `c:[Type == "a",] => issue(claim = c);
c:[Type == "b"] => Issule(claim = c);
`;
const WARN = `c:[] => add(claim = c);\n`;
const STORE = `c:[Type == "name"] => issue(store = "Active Directory", types = ("mail"), query = ";mail;{0}", param = c.Value);\n`;

const TREE = {
    'rules': {
      'apps': { 'app': { 'authorization.rules': GOOD, 'issuance.rules': WARN, 'notes.txt': 'not a rule file' } },
      'broken.rules': BAD,
    },
    'store.rules': STORE,
    'good.rules': GOOD,
    'claims.json': JSON.stringify([{ type: 'http://schemas.microsoft.com/2012/01/devicecontext/claims/ismanaged', value: 'true' }, { type: 'g', value: 'x', issuer: 'AD AUTHORITY', properties: { p: '1' } }]),
};

t.test('rules lint: clean file exits 0', async (t) => {
  const dir = t.testdir(TREE);
  const c = capture(dir);
  t.equal(await runCli(['rules', 'lint', 'good.rules'], c.io), 0);
  t.match(c.out(), /1 file, 0 errors, 0 warnings/);
});

t.test('rules lint: walks directories, reports every error as file:line:col, exits 1', async (t) => {
  const dir = t.testdir(TREE);
  const c = capture(dir);
  t.equal(await runCli(['rules', 'lint', 'rules'], c.io), 1);
  t.match(c.out(), /rules\/broken\.rules:1:16: error DG_LANG_SYNTAX: expected a constraint after ','/);
  t.match(c.out(), /rules\/broken\.rules:2:20: error DG_LANG_SYNTAX: expected 'issue' or 'add'/);
  t.match(c.out(), /rules\/apps\/app\/issuance\.rules:1:9: warning DG_LANG_ADD_COPY/);
  t.notMatch(c.out(), /notes\.txt/);
  t.match(c.err(), /3 files, 2 errors, 1 warning/);
});

t.test('rules lint --json', async (t) => {
  const dir = t.testdir(TREE);
  const c = capture(dir);
  t.equal(await runCli(['rules', 'lint', '--json', 'rules/broken.rules', 'store.rules'], c.io), 1);
  const body = JSON.parse(c.out()) as { ok: boolean; diagnostics: Record<string, unknown>[] };
  t.equal(body.ok, false);
  t.same(body.diagnostics[0], { file: 'rules/broken.rules', line: 1, column: 16, severity: 'error', code: 'DG_LANG_SYNTAX', message: "expected a constraint after ',' (no trailing comma), found ']'" });
  t.equal(body.diagnostics.length, 2, 'the store rule is not an error for lint');
});

t.test('rules lint --lenient accepts smart quotes with warnings', async (t) => {
  const dir = t.testdir({ 'q.rules': 'c:[Type == “a”] => issue(claim = c)' });
  const strict = capture(dir);
  t.equal(await runCli(['rules', 'lint', 'q.rules'], strict.io), 1);
  const lenient = capture(dir);
  t.equal(await runCli(['rules', 'lint', '--lenient', 'q.rules'], lenient.io), 0);
  t.match(lenient.out(), /warning DG_LANG_SMART_QUOTE/);
  t.match(lenient.out(), /warning DG_LANG_MISSING_SEMICOLON/);
});

t.test('rules lint: usage and missing paths', async (t) => {
  const dir = t.testdir(TREE);
  const a = capture(dir);
  t.equal(await runCli(['rules', 'lint'], a.io), 2);
  const b = capture(dir);
  t.equal(await runCli(['rules', 'lint', 'nope.rules'], b.io), 1);
  t.match(b.err(), /nope\.rules: no such file/);
  const h = capture(dir);
  t.equal(await runCli(['rules', 'lint', '--help'], h.io), 0);
  t.match(h.out(), /Usage: devicegate rules lint/);
});

t.test('rules eval prints the output claims', async (t) => {
  const dir = t.testdir(TREE);
  const c = capture(dir);
  t.equal(await runCli(['rules', 'eval', '--rules', 'good.rules', '--claims', 'claims.json'], c.io), 0);
  t.equal(c.out(), '1 output claim\nhttp://schemas.microsoft.com/authorization/claims/permit = true\n');
});

t.test('rules eval --json prints the array; --trace adds the firing rules', async (t) => {
  const dir = t.testdir(TREE);
  const c = capture(dir);
  t.equal(await runCli(['rules', 'eval', '--rules', 'good.rules', '--claims', 'claims.json', '--json'], c.io), 0);
  t.same(JSON.parse(c.out()), [{ type: 'http://schemas.microsoft.com/authorization/claims/permit', value: 'true', valueType: 'http://www.w3.org/2001/XMLSchema#string', issuer: 'LOCAL AUTHORITY', originalIssuer: 'LOCAL AUTHORITY' }]);
  const tr = capture(dir);
  t.equal(await runCli(['rules', 'eval', '--rules', 'good.rules', '--claims', 'claims.json', '--json', '--trace'], tr.io), 0);
  const body = JSON.parse(tr.out()) as { authorization: string; trace: { rule: string; fired: boolean }[] };
  t.equal(body.authorization, 'permit');
  t.same(body.trace.map((f) => [f.rule, f.fired]), [['managed devices', true]]);
  const text = capture(dir);
  t.equal(await runCli(['rules', 'eval', '--rules', 'good.rules', '--claims', 'claims.json', '--trace'], text.io), 0);
  t.match(text.out(), /fired {3}managed devices \(issue\): 1 claim/);
  t.match(text.out(), /authorization: permit/);
});

const badClaims: [string, unknown, RegExp][] = [
  ['not JSON', '{', /not valid JSON/],
  ['not an array', { type: 'a' }, /expected a JSON array/],
  ['item not an object', ['x'], /claims\[0\] must be an object/],
  ['missing value', [{ type: 'a' }], /claims\[0\]\.value must be a string \(required\)/],
  ['number issuer', [{ type: 'a', value: 'b' }, { type: 'a', value: 'b', issuer: 3 }], /claims\[1\]\.issuer must be a string/],
  ['unknown field', [{ type: 'a', value: 'b', colour: 'red' }], /claims\[0\]\.colour is not a claim field/],
  ['bad property', [{ type: 'a', value: 'b', properties: { x: 1 } }], /claims\[0\]\.properties\["x"\] must be a string/],
];
for (const [name, content, message] of badClaims) {
  t.test(`rules eval rejects bad claims JSON: ${name}`, async (t) => {
    const dir = t.testdir({ 'r.rules': GOOD, 'c.json': typeof content === 'string' ? content : JSON.stringify(content) });
    const c = capture(dir);
    t.equal(await runCli(['rules', 'eval', '--rules', 'r.rules', '--claims', 'c.json'], c.io), 1);
    t.match(c.err(), message);
    t.match(c.err(), /c\.json/);
  });
}

t.test('rules eval: store rules are refused naming the store; broken rules exit 1 with positions', async (t) => {
  const dir = t.testdir(TREE);
  const s = capture(dir);
  t.equal(await runCli(['rules', 'eval', '--rules', 'store.rules', '--claims', 'claims.json'], s.io), 1);
  t.match(s.err(), /"Active Directory", not available in rules eval/);
  const b = capture(dir);
  t.equal(await runCli(['rules', 'eval', '--rules', 'rules/broken.rules', '--claims', 'claims.json'], b.io), 1);
  t.match(b.err(), /rules\/broken\.rules:1:16: error DG_LANG_SYNTAX/);
  const u = capture(dir);
  t.equal(await runCli(['rules', 'eval', '--rules', 'good.rules'], u.io), 2);
});

t.test('rules fmt rewrites canonically; --check reports without writing', async (t) => {
  const messy = 'c: [type == "a"]   =>   ISSUE (claim = c);   c:[TYPE=="b"]&&c2:[Value=~"x"]=>add(type="t",value=c.value+c2.value);';
  const dir = t.testdir({ 'm.rules': messy, 'ok.rules': GOOD, 'bad.rules': BAD });
  const check = capture(dir);
  t.equal(await runCli(['rules', 'fmt', '--check', 'm.rules', 'ok.rules'], check.io), 1);
  t.equal(check.out(), 'm.rules: not in canonical form\n');
  t.equal(readFileSync(join(dir, 'm.rules'), 'utf8'), messy, '--check writes nothing');
  const fmt = capture(dir);
  t.equal(await runCli(['rules', 'fmt', 'm.rules'], fmt.io), 0);
  t.equal(readFileSync(join(dir, 'm.rules'), 'utf8'), 'c:[Type == "a"]\n => issue(claim = c);\n\nc:[Type == "b"]\n && c2:[Value =~ "x"]\n => add(Type = "t", Value = c.Value + c2.Value);\n');
  const again = capture(dir);
  t.equal(await runCli(['rules', 'fmt', '--check', 'm.rules'], again.io), 0, 'canonical after fmt');
  const bad = capture(dir);
  t.equal(await runCli(['rules', 'fmt', 'bad.rules'], bad.io), 1);
  t.equal(readFileSync(join(dir, 'bad.rules'), 'utf8'), BAD, 'files with errors are left alone');
  t.match(bad.err(), /bad\.rules:1:16/);
});
