export type { Claim } from './claim.js';
export { makeClaim, DEFAULT_ISSUER, DEFAULT_VALUE_TYPE } from './claim.js';
export type { SourcePosition, Diagnostic } from './diagnostic.js';
export { formatDiagnostic, hasErrors } from './diagnostic.js';
export { DIAGNOSTIC_CODES, type DiagnosticCode } from './diagnostic-codes.js';
export type { LanguageOptions } from './options.js';
export type {
  RuleSet, Rule, Annotation, Condition, Selector, Aggregate, Constraint, Expression, StringLiteral, PropertyRef, Concat, Call,
  Issuance, CopyIssuance, NewClaimIssuance, StoreIssuance, Assignment, PropertyName, ConditionOperator, CountOperator, Span,
} from './ast.js';
export { parseRuleSet } from './parser.js';
export { tokenize, type Token, type TokenKind } from './lexer.js';
export { checkRuleSet } from './checker.js';
export { compileRuleSet } from './compile-rule-set.js';
export type { RuleInfo } from './rule-info.js';
export type { AttributeStore, EvaluationOptions, RuleFiring, EvaluationResult, CompiledRuleSet } from './compiled-rule-set.js';
export { CLAIM_TYPES, authorizationOutcome, requiresMfa, type AuthorizationOutcome } from './authorization.js';
export { LanguageError, LANGUAGE_ERROR_CODES, isLanguageError, type LanguageErrorCode } from './errors.js';
export { translateRegex, translateReplacement } from './regex-translate.js';
/** The `Type ==` comparison of the default (ignoreCase) rule sets: the one comparator for claim types. */
export { equalsIgnoreCase as claimTypeEquals } from './compile-expression.js';
export { printRuleSet, printRule, printExpression } from './printer.js';
export { DEFAULT_EVALUATION_BUDGET, EvaluationMeter, parseEvaluationBudget, type EvaluationBudget } from './budget.js';
