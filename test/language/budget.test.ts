import t, { type Test } from 'tap';
import {
  compileRuleSet, DEFAULT_EVALUATION_BUDGET, EvaluationMeter, LanguageError, parseEvaluationBudget, type AttributeStore, type Claim, type EvaluationBudget,
} from '../../src/language/index.js';
import { claim } from './helpers.js';

const G = 'http://schemas.xmlsoap.org/claims/Group';
const PERMIT = 'http://schemas.microsoft.com/authorization/claims/permit';

function compile(rules: string, budget?: EvaluationBudget) {
  const { ruleSet, diagnostics } = compileRuleSet(rules, budget ? { evaluationBudget: budget } : {});
  if (!ruleSet) throw new Error(diagnostics.map((d) => d.message).join('; '));
  return ruleSet;
}

const groups = (n: number): Claim[] => Array.from({ length: n }, (_, i) => claim(G, `g${i}`));
const budget = (b: Partial<EvaluationBudget>): EvaluationBudget => ({ ...DEFAULT_EVALUATION_BUDGET, ...b });

/** Runs fn and returns the LanguageError it throws (fails the test when it does not throw one). */
function thrown(t: Test, fn: () => unknown): LanguageError | undefined {
  try {
    fn();
  } catch (error) {
    t.type(error, LanguageError);
    return error as LanguageError;
  }
  t.fail('expected a LanguageError');
  return undefined;
}

t.test('joinTuples: a k-way join over n claims visits n + n^2 + ... + n^k tuples; exactly at the limit passes, one over fails', (t) => {
  const rules = `c:[Type == "x"] => issue(Type = "x2", Value = "1");
c1:[Type == "${G}"] && c2:[Type == "${G}", Value == c1.Value] => issue(Type = "${PERMIT}", Value = c1.Value);`;
  // n = 10: rule 1 visits nothing (no x claims); rule 2 visits 10 (c1) + 10 * 10 (c2) = 110 tuples.
  const at = compile(rules, budget({ joinTuples: 110 })).evaluate(groups(10));
  t.equal(at.output.length, 10, 'at the limit: evaluates normally');
  const error = thrown(t, () => compile(rules, budget({ joinTuples: 109 })).evaluate(groups(10)));
  t.equal(error?.code, 'DG_ERR_LANGUAGE_BUDGET_EXCEEDED');
  t.equal(error?.ruleIndex, 1, 'names the second rule');
  t.match(error?.message, /joinTuples = 109/);
  t.end();
});

t.test('joinTuples counts a single selector as one tuple per matching claim', (t) => {
  const rules = `c:[Type == "${G}"] => issue(claim = c);`;
  t.equal(compile(rules, budget({ joinTuples: 5 })).evaluate(groups(5)).output.length, 5);
  t.equal(thrown(t, () => compile(rules, budget({ joinTuples: 4 })).evaluate(groups(5)))?.ruleIndex, 0);
  t.end();
});

t.test('a 3-way self-join over 512 caller claims fails fast with the budget error (default budget)', (t) => {
  const rules = `c1:[Type == "${G}"] && c2:[Type == "${G}"] && c3:[Type == "${G}"] => issue(Type = "x", Value = c1.Value + c2.Value + c3.Value);`;
  const set = compile(rules);
  const error = thrown(t, () => set.evaluate(groups(512)));
  t.equal(error?.code, 'DG_ERR_LANGUAGE_BUDGET_EXCEEDED');
  t.equal(error?.ruleIndex, 0);
  // The same rule set still answers a small input afterwards (the reused counters were reset).
  t.equal(set.evaluate(groups(3)).output.length, 27);
  t.end();
});

t.test('claimsProduced: exactly at the limit passes, one over fails; add counts too', (t) => {
  const rules = `c:[Type == "${G}"] => add(Type = "a", Value = c.Value);
c:[Type == "a"] => issue(Type = "${PERMIT}", Value = c.Value);`;
  // 6 claims: 3 added by rule 0, 3 issued by rule 1.
  t.equal(compile(rules, budget({ claimsProduced: 6 })).evaluate(groups(3)).output.length, 3);
  const error = thrown(t, () => compile(rules, budget({ claimsProduced: 5 })).evaluate(groups(3)));
  t.equal(error?.code, 'DG_ERR_LANGUAGE_BUDGET_EXCEEDED');
  t.equal(error?.ruleIndex, 1);
  t.match(error?.message, /claimsProduced = 5/);
  t.end();
});

t.test('EvaluationOptions.budget overrides the rule set budget for one call', (t) => {
  const set = compile(`c:[Type == "${G}"] => issue(claim = c);`);
  t.equal(set.budget, DEFAULT_EVALUATION_BUDGET);
  t.equal(thrown(t, () => set.evaluate(groups(3), { budget: budget({ claimsProduced: 2 }) }))?.code, 'DG_ERR_LANGUAGE_BUDGET_EXCEEDED');
  t.equal(set.evaluate(groups(3)).output.length, 3, 'the default budget is back on the next call');
  t.end();
});

/** A store that answers one value per call and counts its calls. */
class CountingStore implements AttributeStore {
  calls = 0;
  async query(_q: string, params: readonly string[]): Promise<readonly (readonly string[])[]> {
    this.calls++;
    return [[`mail-${params[0]}`]];
  }
}

const STORE_RULES = `c:[Type == "${G}"] => issue(store = "Active Directory", types = ("mail"), query = "q={0}", param = c.Value);`;

t.test('storeCalls: one query per claim over 512 claims hits the budget before any query is made', async (t) => {
  const store = new CountingStore();
  const set = compile(STORE_RULES);
  await t.rejects(set.evaluateAsync(groups(512), { stores: { 'Active Directory': store } }), { code: 'DG_ERR_LANGUAGE_BUDGET_EXCEEDED', ruleIndex: 0 });
  t.equal(store.calls, 0, 'no store call was made');
});

t.test('storeCalls and store-produced claims at their edges', async (t) => {
  const stores = { 'Active Directory': new CountingStore() };
  const at = await compile(STORE_RULES, budget({ storeCalls: 4 })).evaluateAsync(groups(4), { stores });
  t.equal(at.output.length, 4, 'exactly at the storeCalls limit');
  await t.rejects(compile(STORE_RULES, budget({ storeCalls: 3 })).evaluateAsync(groups(4), { stores }), { code: 'DG_ERR_LANGUAGE_BUDGET_EXCEEDED', ruleIndex: 0 });
  t.equal((await compile(STORE_RULES, budget({ claimsProduced: 4 })).evaluateAsync(groups(4), { stores })).output.length, 4);
  await t.rejects(compile(STORE_RULES, budget({ claimsProduced: 3 })).evaluateAsync(groups(4), { stores }), { code: 'DG_ERR_LANGUAGE_BUDGET_EXCEEDED', ruleIndex: 0 });
});

t.test('parseEvaluationBudget validates and fills defaults', (t) => {
  t.same(parseEvaluationBudget({ joinTuples: 10 }).budget, { ...DEFAULT_EVALUATION_BUDGET, joinTuples: 10 });
  t.same(parseEvaluationBudget({ joinTuples: 0 }).problems, ['"evaluationBudget.joinTuples" must be a whole number >= 1']);
  t.same(parseEvaluationBudget({ joinTuples: 1.5, tuples: 3 }).problems, ['unknown key "evaluationBudget.tuples" (known: joinTuples, claimsProduced, storeCalls)', '"evaluationBudget.joinTuples" must be a whole number >= 1']);
  t.same(parseEvaluationBudget([]).problems, ['"evaluationBudget" must be an object']);
  t.end();
});

t.test('a meter shared by several evaluations (one decision) counts them together', (t) => {
  const a = compile(`c:[Type == "${G}"] => issue(claim = c);`);
  const b = compile(`c:[Type == "${G}"] => add(Type = "x", Value = c.Value);`);
  const meter = new EvaluationMeter(budget({ claimsProduced: 6 }));
  t.equal(a.evaluate(groups(3), { meter }).output.length, 3);
  t.equal(b.evaluate(groups(3), { meter }).output.length, 0, '6 claims so far: exactly at the limit');
  t.equal(meter.claims, 6);
  t.equal(thrown(t, () => a.evaluate(groups(1), { meter }))?.code, 'DG_ERR_LANGUAGE_BUDGET_EXCEEDED', 'the 7th claim of the decision is over');
  t.equal(a.evaluate(groups(3)).output.length, 3, 'without the shared meter: a fresh count');
  t.end();
});
