// Fail closed: any LanguageError while a stage evaluates becomes a deny whose reason names the rule,
// through one mapping table (src/policy/fail-closed.ts). Attribute stores here are real functions that
// fail the way the language reports failures (a store may throw a LanguageError, which passes as is).
import t from 'tap';
import { LanguageError, LANGUAGE_ERROR_CODES, type AttributeStore, type LanguageErrorCode } from '../../src/language/index.js';
import { failClosedCode, failClosedReasonOf, FAIL_CLOSED_REASON_CODES, loadRegistry, runPipeline } from '../../src/policy/index.js';
import { makeClaim, REQUEST_CLAIM_TYPES as R } from '../../src/claims/index.js';
import { forgeryRules } from './forgery-rules.js';

t.test('the mapping table: every language error code has a reason', async (t) => {
  const expected: Partial<Record<LanguageErrorCode, string>> = {
    DG_ERR_LANGUAGE_ASYNC_REQUIRED: 'rule_error',
    DG_ERR_LANGUAGE_UNKNOWN_STORE: 'rule_error',
    DG_ERR_LANGUAGE_STORE_FAILED: 'attribute_store_error',
    DG_ERR_LANGUAGE_STORE_RESULT: 'attribute_store_error',
    DG_ERR_LANGUAGE_REGEX: 'rule_error',
    DG_ERR_LANGUAGE_BUDGET_EXCEEDED: 'evaluation_budget_exceeded',
    DG_ERR_LANGUAGE_INVALID_RULES: 'rule_error',
  };
  for (const code of Object.keys(LANGUAGE_ERROR_CODES) as LanguageErrorCode[]) t.equal(failClosedCode(code), expected[code] ?? 'rule_error', code);
  t.equal(failClosedCode('DG_ERR_LANGUAGE_STORE_SOMETHING_NEW'), 'attribute_store_error', 'any STORE_* code');
  t.equal(failClosedCode('DG_ERR_LANGUAGE_SOMETHING_NEW'), 'rule_error', 'anything else');
  t.same([...FAIL_CLOSED_REASON_CODES].sort(), ['attribute_store_error', 'evaluation_budget_exceeded', 'rule_error']);
  t.equal(failClosedReasonOf({ reason: { code: 'report_only', message: '' }, enforcement: { mode: 'reportOnly', decision: 'deny', reason: { code: 'rule_error', message: '' } } }), 'rule_error');
  t.equal(failClosedReasonOf({ reason: { code: 'deny_rule', message: '' } }), undefined);
});

t.test('a LanguageError in a stage denies, naming the rule by ruleIndex, with and without a trace', async (t) => {
  const registry = await loadRegistry(forgeryRules(t));
  const rp = registry.byIdentifier.get('urn:test:ad-store-deny')!;
  const input = [makeClaim({ type: R.windowsAccountName, value: 'CONTOSO\\alice' })];
  const failing = (code: LanguageErrorCode, ruleIndex?: number): AttributeStore => ({
    query: async () => {
      throw new LanguageError(code, 'over budget', undefined, ruleIndex);
    },
  });
  for (const explain of [false, true]) {
    const r = await runPipeline(registry, rp, input, { explain, includeIssuedClaims: false, stores: { 'Active Directory': failing('DG_ERR_LANGUAGE_BUDGET_EXCEEDED', 0) } });
    t.match(r, { decision: 'deny', reason: { code: 'evaluation_budget_exceeded', rule: 'Users from AD', message: /rule "Users from AD" could not be evaluated \(DG_ERR_LANGUAGE_BUDGET_EXCEEDED: over budget\); denied \(fail closed\)/ } }, `explain ${explain}`);
    if (explain) t.match(r.trace?.at(-1), { stage: 'authorization', rule: 'Users from AD', fired: false, note: 'evaluation failed: DG_ERR_LANGUAGE_BUDGET_EXCEEDED' });
  }
  const noIndex = await runPipeline(registry, rp, input, { explain: false, includeIssuedClaims: false, stores: { 'Active Directory': failing('DG_ERR_LANGUAGE_BUDGET_EXCEEDED') } });
  // The evaluator sets ruleIndex on any LanguageError raised while a rule runs (a store's error included).
  t.match(noIndex.reason, { code: 'evaluation_budget_exceeded', rule: 'Users from AD' }, 'an error thrown without a rule index still names its rule');
  const thrown: AttributeStore = {
    query: async () => {
      throw new Error('socket closed');
    },
  };
  t.match(await runPipeline(registry, rp, input, { explain: false, includeIssuedClaims: false, stores: { 'Active Directory': thrown } }), { decision: 'deny', reason: { code: 'attribute_store_error' } });
  const wrongShape: AttributeStore = { query: async () => [['a'], ['b']] };
  t.match(await runPipeline(registry, rp, input, { explain: false, includeIssuedClaims: false, stores: { 'Active Directory': wrongShape } }), { decision: 'deny', reason: { code: 'attribute_store_error' } });
  const ok: AttributeStore = { query: async () => [[]] };
  t.match(await runPipeline(registry, rp, input, { explain: false, includeIssuedClaims: false, stores: { 'Active Directory': ok } }), { decision: 'permit' }, 'a store that answers: the rules decide');
});
