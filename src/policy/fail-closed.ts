import type { LanguageError } from '../language/index.js';
import type { Decision, DecisionReason } from './decision-types.js';

/** Reason codes of decisions that deny because a rule set could not be evaluated (fail closed). */
export const FAIL_CLOSED_REASON_CODES = ['rule_error', 'attribute_store_error', 'evaluation_budget_exceeded'] as const;
export type FailClosedReasonCode = (typeof FAIL_CLOSED_REASON_CODES)[number];

/**
 * The one mapping from an evaluation error (LanguageError code, matched as a prefix) to the reason
 * code of the deny it becomes; anything not listed is a `rule_error`.
 */
const FAIL_CLOSED_TABLE: readonly (readonly [codePrefix: string, reason: FailClosedReasonCode])[] = [
  ['DG_ERR_LANGUAGE_REGEX', 'rule_error'],
  ['DG_ERR_LANGUAGE_STORE_', 'attribute_store_error'],
  ['DG_ERR_LANGUAGE_BUDGET_EXCEEDED', 'evaluation_budget_exceeded'],
];

export function failClosedCode(errorCode: string): FailClosedReasonCode {
  for (const [prefix, reason] of FAIL_CLOSED_TABLE) if (errorCode.startsWith(prefix)) return reason;
  return 'rule_error';
}

const SET = new Set<string>(FAIL_CLOSED_REASON_CODES);

export function isFailClosedReason(code: string): code is FailClosedReasonCode {
  return SET.has(code);
}

/** The deny reason for a rule set that failed; `rule` names the rule (or the rule file when unknown). */
export function failClosedReason(rule: string, error: LanguageError): DecisionReason {
  return {
    code: failClosedCode(error.code),
    rule,
    message: `rule "${rule}" could not be evaluated (${error.code}: ${error.message}); denied (fail closed)`,
  };
}

/** The fail-closed reason of a decision (its enforcement's, for a reportOnly relying party), if it is one. */
export function failClosedReasonOf(decision: Pick<Decision, 'reason' | 'enforcement'>): FailClosedReasonCode | undefined {
  const code = decision.enforcement?.reason.code ?? decision.reason.code;
  return isFailClosedReason(code) ? code : undefined;
}
