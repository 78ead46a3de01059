import t from 'tap';
import { loadRegistry } from '../../src/policy/index.js';
import { DEFAULT_EVALUATION_BUDGET } from '../../src/language/index.js';
import { PERMIT_ALL, rp, tempRules } from './helpers.js';

const files = (farm: unknown) => ({
  'farm.json': JSON.stringify(farm),
  'relying-parties/a/relying-party.json': rp('A', ['urn:a']),
  'relying-parties/a/authorization.rules': PERMIT_ALL,
});

t.test('farm.json evaluationBudget reaches every compiled rule set; absent keys keep their defaults', async (t) => {
  const r = await tempRules(files({ evaluationBudget: { joinTuples: 500 } }));
  t.teardown(r.done);
  const reg = await loadRegistry(r.dir);
  const want = { ...DEFAULT_EVALUATION_BUDGET, joinTuples: 500 };
  t.same(reg.farm.evaluationBudget, want);
  t.same(reg.relyingParties[0]?.authorization?.ruleSet.budget, want);
});

t.test('no evaluationBudget: the language defaults', async (t) => {
  const r = await tempRules(files({}));
  t.teardown(r.done);
  const reg = await loadRegistry(r.dir);
  t.equal(reg.farm.evaluationBudget, undefined);
  t.same(reg.relyingParties[0]?.authorization?.ruleSet.budget, DEFAULT_EVALUATION_BUDGET);
});

t.test('a bad evaluationBudget is a load error naming the field', async (t) => {
  const r = await tempRules(files({ evaluationBudget: { storeCalls: -1, joins: 3 } }));
  t.teardown(r.done);
  await t.rejects(loadRegistry(r.dir), { code: 'DG_ERR_POLICY_LOAD', diagnostics: [/evaluationBudget\.joins/, /"evaluationBudget\.storeCalls" must be a whole number >= 1/] });
});
