import t from 'tap';
import fc from 'fast-check';
import { compileRuleSet, LanguageError, type Claim } from '../../src/language/index.js';
import { claim, evaluate, tv, type EvalCase } from './helpers.js';

// The evaluator reads `Type == "literal"` selectors from a per-type index. These pin that the index
// agrees with the comparison it replaces, including the non-ASCII folds of equalsIgnoreCase.
const cases: EvalCase[] = [
  { name: 'KELVIN SIGN type equals ASCII literal "k"', rules: 'c:[Type == "k"] => issue(Type = "hit", Value = c.Value);', input: [['\u212A', '1'], ['K', '2'], ['x', '3']], output: ['hit=1', 'hit=2'] },
  { name: 'non-ASCII literal equals ASCII type', rules: 'c:[Type == "\u212A"] => issue(Type = "hit", Value = c.Value);', input: [['K', '1'], ['k', '2'], ['x', '3']], output: ['hit=1', 'hit=2'] },
  {
    name: 'one type equal to two different literals fills both selectors',
    rules: 'c1:[Type == "s"] && c2:[Type == "\u017F"] => issue(Type = "pair", Value = c1.Value + c2.Value);',
    input: [['S', '1']],
    output: ['pair=11'],
  },
  { name: 'literals differing in case match the same claims', rules: 'c:[Type == "Group"] => issue(Type = "x", Value = c.Value);\nc:[Type == "GROUP"] => issue(Type = "y", Value = c.Value);', input: [['group', 'g']], output: ['x=g', 'y=g'] },
  { name: 'ordinal: only the exact spelling', rules: 'c:[Type == "Group"] => issue(Type = "x", Value = c.Value);', input: [['group', '1'], ['Group', '2'], ['GROUP', '3']], output: ['x=2'], options: { typeComparison: 'ordinal' } },
  { name: 'ordinal: KELVIN SIGN is not k', rules: 'exists([Type == "k"]) => issue(Type = "hit", Value = "y");', input: [['\u212A', '1']], output: [], options: { typeComparison: 'ordinal' } },
  {
    name: 'added claims join their type in working-set order',
    rules: 'c:[Type == "b"] => add(Type = "A", Value = c.Value);\nc:[Type == "a"] => issue(Type = "out", Value = c.Value);',
    input: [['a', '1'], ['b', '2'], ['a', '3']],
    output: ['out=1', 'out=3', 'out=2'],
  },
  {
    name: 'count and exists over the index, with and without other constraints',
    rules: 'count([Type == "g"]) == 3 && count([Type == "g", Value == "x"]) == 2 && NOT exists([Type == "g", Value == "z"]) => issue(Type = "ok", Value = "y");',
    input: [['g', 'x'], ['G', 'y'], ['g', 'x'], ['h', 'z']],
    output: ['ok=y'],
  },
  {
    name: 'indexed and unindexed selectors in one product',
    rules: 'c1:[Type == "a"] && c2:[Value == "v"] => issue(Type = "p", Value = c1.Value + c2.Type);',
    input: [['a', '1'], ['b', 'v'], ['A', 'v']],
    output: ['p=1b', 'p=1A', 'p=vb', 'p=vA'],
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    t.same(tv(evaluate(c.rules, c.input.map(([type, value]) => claim(type, value)), c.options)), c.output);
  });
}

t.test('many distinct claim types', async (t) => {
  const { ruleSet } = compileRuleSet('count([Type == "t7"]) == 1 && count([Type == "T4999"]) == 1 => issue(Type = "ok", Value = "y");');
  t.ok(ruleSet);
  const input = Array.from({ length: 5000 }, (_, i) => claim(`t${i}`, 'v'));
  for (let round = 0; round < 3; round++) t.same(tv(ruleSet!.evaluate(input)), ['ok=y'], `round ${round}`);
});

t.test('more indexed claims than the index starts with room for', async (t) => {
  const { ruleSet } = compileRuleSet('count([Type == "g"]) == 40 && c1:[Type == "g", Value == "39"] && c2:[Type == "h"] => issue(Type = "ok", Value = c1.Value + c2.Value);');
  const input = [...Array.from({ length: 40 }, (_, i) => claim('g', String(i))), ...Array.from({ length: 30 }, (_, i) => claim('H', `h${i}`))];
  t.same(tv(ruleSet!.evaluate(input)), Array.from({ length: 30 }, (_, i) => `ok=39h${i}`));
});

t.test('successive evaluations, and one that throws, do not leak into the next', async (t) => {
  const { ruleSet } = compileRuleSet('c1:[Type == "p"] && c2:[Type == "v", Value =~ c1.Value] => issue(Type = "m", Value = c2.Value);\nexists([Type == "v"]) => issue(Type = "has", Value = "v");');
  t.ok(ruleSet);
  t.same(tv(ruleSet!.evaluate([claim('p', '^a'), claim('v', 'ab'), claim('v', 'b')])), ['m=ab', 'has=v']);
  t.throws(() => ruleSet!.evaluate([claim('p', '('), claim('v', 'x')]), LanguageError);
  t.same(tv(ruleSet!.evaluate([claim('p', 'b$')])), []);
  t.same(tv(ruleSet!.evaluate([claim('v', 'q')])), ['has=v']);
});

// Oracle: the same rules with every `Type == "lit"` written as `Type =~ "^(?i)lit$"`, which the
// evaluator does not index (ASCII letters only, where the two comparisons agree by definition).
const types = ['a', 'A', 'b', 'B', 'ab', 'aB', 'c'];
const typeLit = fc.constantFrom(...types);
const value = fc.constantFrom('1', '2');
const selector = (tag: string) => fc.tuple(typeLit, fc.option(value, { nil: undefined })).map(([ty, v]) => `${tag}:[Type == "${ty}"${v ? `, Value == "${v}"` : ''}]`);
const aggregate = fc.tuple(fc.constantFrom('exists', 'NOT exists', 'count'), typeLit, fc.option(value, { nil: undefined }), fc.nat(3)).map(
  ([fn, ty, v, n]) => `${fn === 'count' ? 'count' : fn}([Type == "${ty}"${v ? `, Value == "${v}"` : ''}])${fn === 'count' ? ` >= ${n}` : ''}`,
);
const rule = fc.tuple(fc.nat(2), fc.array(aggregate, { maxLength: 2 }), fc.constantFrom('issue', 'add'), typeLit, fc.boolean()).chain(([k, aggs, action, outType, dep]) =>
  fc.tuple(...Array.from({ length: k }, (_, j) => selector(`c${j}`))).map((sels) => {
    const conds = [...sels.map((s, j) => (dep && j === 1 ? s.replace(']', ', Value == c0.Value]') : s)), ...aggs];
    const val = k === 0 ? '"z"' : sels.map((_, j) => `c${j}.Value`).join(' + ');
    return `${conds.join(' && ')} => ${action}(Type = "${outType}", Value = ${val});`;
  }),
);
const claims = fc.array(fc.tuple(typeLit, value), { maxLength: 6 });

t.test('indexed Type == agrees with the unindexed (?i) regex on generated rule sets', async (t) => {
  // Awaited: an async property's failure only surfaces through the promise fc.assert returns.
  await fc.assert(
    fc.asyncProperty(fc.array(rule, { minLength: 1, maxLength: 5 }), claims, async (rules, input) => {
      const source = rules.join('\n');
      const oracle = source.replace(/Type == "([A-Za-z]+)"/g, 'Type =~ "^(?i)$1$$"');
      const cs: Claim[] = input.map(([ty, v]) => claim(ty, v));
      const got = evaluate(source, cs);
      const want = evaluate(oracle, cs);
      const viaAsync = await compileRuleSet(source).ruleSet!.evaluateAsync(cs);
      return JSON.stringify([tv(got), got.producedBy]) === JSON.stringify([tv(want), want.producedBy]) && JSON.stringify(tv(viaAsync)) === JSON.stringify(tv(got));
    }),
    { numRuns: 300 },
  );
  t.pass('300 generated rule sets agree');
});
