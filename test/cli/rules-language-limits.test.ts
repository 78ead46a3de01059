import t from 'tap';
import { PassThrough } from 'node:stream';
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

const G = 'http://schemas.xmlsoap.org/claims/Group';
const REDOS = `c:[Type == "v", Value =~ "^(a+)+$"] => issue(Type = "hit", Value = c.Value);\n`;
const JOIN3 = `@RuleName = "cube"\nc1:[Type == "${G}"] && c2:[Type == "${G}"] && c3:[Type == "${G}"] => issue(Type = "x", Value = c1.Value + c2.Value + c3.Value);\n`;
const DYNAMIC = `@RuleName = "dynamic"\np:[Type == "p"] && v:[Type == "v", Value =~ p.Value] => issue(Type = "hit", Value = v.Value);\n`;

const TREE = {
  'redos.rules': REDOS,
  'join3.rules': JOIN3,
  'dynamic.rules': DYNAMIC,
  'redos.json': JSON.stringify([{ type: 'v', value: `${'a'.repeat(5000)}!` }, { type: 'v', value: 'aaa' }]),
  'groups.json': JSON.stringify(Array.from({ length: 512 }, (_, i) => ({ type: G, value: `g${i}` }))),
  'bad-pattern.json': JSON.stringify([{ type: 'p', value: '(a)\\1' }, { type: 'v', value: 'aa' }]),
};

t.test('rules lint warns about nested quantifiers and 3-way self-joins (exit 0: warnings only)', async (t) => {
  const dir = t.testdir(TREE);
  const c = capture(dir);
  t.equal(await runCli(['rules', 'lint', 'redos.rules', 'join3.rules'], c.io), 0);
  t.match(c.out(), /redos\.rules:1:28: warning DG_LANG_REGEX_NESTED_QUANTIFIER: nested quantifier/);
  t.match(c.out(), /join3\.rules:2:\d+: warning DG_LANG_SELF_JOIN: this rule joins claim type "http:\/\/schemas\.xmlsoap\.org\/claims\/Group" with itself 3 ways/);
  t.match(c.out(), /2 files, 0 errors, 2 warnings/);
});

t.test('rules eval: a ReDoS pattern answers correctly', async (t) => {
  const dir = t.testdir(TREE);
  const c = capture(dir);
  t.equal(await runCli(['rules', 'eval', '--rules', 'redos.rules', '--claims', 'redos.json'], c.io), 0);
  t.match(c.out(), /^1 output claim\nhit = aaa\n$/);
});

t.test('rules eval: a 3-way join over 512 claims stops at the budget (exit 1, names the rule)', async (t) => {
  const dir = t.testdir(TREE);
  const c = capture(dir);
  t.equal(await runCli(['rules', 'eval', '--rules', 'join3.rules', '--claims', 'groups.json'], c.io), 1);
  t.match(c.err(), /join3\.rules: rule cube: DG_ERR_LANGUAGE_BUDGET_EXCEEDED: evaluation budget exceeded: rule cube went past claimsProduced = 10000/);
});

t.test('rules eval: a computed pattern that cannot be used is a coded error naming the rule', async (t) => {
  const dir = t.testdir(TREE);
  const c = capture(dir);
  t.equal(await runCli(['rules', 'eval', '--rules', 'dynamic.rules', '--claims', 'bad-pattern.json'], c.io), 1);
  t.match(c.err(), /dynamic\.rules: rule dynamic: DG_ERR_LANGUAGE_REGEX: .*backreference/);
});
