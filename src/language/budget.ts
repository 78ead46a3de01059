import { LanguageError } from './errors.js';

/**
 * Work one rule-set evaluation may do before it fails closed (DG_ERR_LANGUAGE_BUDGET_EXCEEDED).
 * Every count is deterministic: it depends only on the rules and the claims, never on timing.
 */
export interface EvaluationBudget {
  /** (Partial) tuples visited by selector joins: one per claim bound to a selector slot. */
  readonly joinTuples: number;
  /** Claims produced by rules (issue and add, attribute-store results included). */
  readonly claimsProduced: number;
  /** Attribute-store queries. */
  readonly storeCalls: number;
}

/**
 * Defaults, from `npx tsx bench/language/budget-maxima.ts` over the public corpus, the rules/ samples
 * and the bench workload (79 rule sets): with the typical 16-claim presentation no rule set passes
 * 16 join tuples, 16 produced claims or 0 store calls; with a synthetic input holding 4 claims of every
 * type the rules name (each store answering 3 values) the maxima are 84 tuples, 192 claims and 64
 * store calls. The defaults leave margins of 1000x, 50x and 2x over the synthetic maxima (far more
 * over the typical ones), yet stop a 3-way self-join over 512 caller claims (134M tuples) within
 * 100,000 tuples and a once-per-claim store rule over 512 claims before its first query.
 */
export const DEFAULT_EVALUATION_BUDGET: EvaluationBudget = Object.freeze({
  joinTuples: 100_000,
  claimsProduced: 10_000,
  storeCalls: 128,
});

export const BUDGET_KEYS = ['joinTuples', 'claimsProduced', 'storeCalls'] as const;

/**
 * The counters of one evaluation. evaluate() reuses one meter per rule set (it is synchronous), so
 * counting allocates nothing; evaluateAsync() makes one per call.
 */
export class EvaluationMeter {
  tuples = 0;
  claims = 0;
  storeCalls = 0;
  /** index of the rule being evaluated (for the error) */
  rule = -1;

  constructor(readonly budget: EvaluationBudget = DEFAULT_EVALUATION_BUDGET) {}

  reset(): void {
    this.tuples = 0;
    this.claims = 0;
    this.storeCalls = 0;
    this.rule = -1;
  }

  /** Throws the budget error (called when a counter has gone past its limit). */
  exceeded(what: keyof EvaluationBudget, label: string): never {
    throw new LanguageError(
      'DG_ERR_LANGUAGE_BUDGET_EXCEEDED',
      `evaluation budget exceeded: rule ${label} went past ${what} = ${this.budget[what]}`,
      undefined,
      this.rule >= 0 ? this.rule : undefined,
    );
  }
}

/** Validates a budget (e.g. from farm.json); problems name the field. */
export function parseEvaluationBudget(value: unknown, field = 'evaluationBudget'): { budget?: EvaluationBudget; problems: string[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problems: [`"${field}" must be an object`] };
  const problems: string[] = [];
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (!(BUDGET_KEYS as readonly string[]).includes(key)) problems.push(`unknown key "${field}.${key}" (known: ${BUDGET_KEYS.join(', ')})`);
  }
  const out: Record<string, number> = { ...DEFAULT_EVALUATION_BUDGET };
  for (const key of BUDGET_KEYS) {
    const x = v[key];
    if (x === undefined) continue;
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 1) problems.push(`"${field}.${key}" must be a whole number >= 1`);
    else out[key] = x;
  }
  if (problems.length > 0) return { problems };
  return { budget: Object.freeze(out as unknown as EvaluationBudget), problems };
}
