import type { EvaluationBudget } from './budget.js';

export interface LanguageOptions {
  file?: string;
  /** Repair smart quotes and accept a missing final ';', each with a warning. */
  lenient?: boolean;
  /** Selectors and aggregates in one rule; default 'warning'. */
  mixedConditions?: 'error' | 'warning';
  /** Type == / != ; default ignoreCase. */
  typeComparison?: 'ignoreCase' | 'ordinal';
  /** Value, ValueType, Issuer, OriginalIssuer, Properties[...] == / != ; default ordinal. */
  valueComparison?: 'ordinal' | 'ignoreCase';
  /** Tag names; default insensitive. */
  tagCase?: 'insensitive' | 'sensitive';
  /** Configured store names; when given, a rule using another store is a diagnostic. */
  attributeStores?: readonly string[];
  /** Severity of DG_LANG_UNKNOWN_STORE; default 'error'. */
  unknownStoreSeverity?: 'error' | 'warning';
  /** Lint: warn about https://schemas.microsoft.com/ (and schemas.xmlsoap.org) claim types; default false. */
  warnHttpsClaimTypes?: boolean;
  /** Work each evaluation of the compiled rule set may do; default DEFAULT_EVALUATION_BUDGET. */
  evaluationBudget?: EvaluationBudget;
}
