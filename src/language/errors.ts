/** Runtime failures of the language (evaluation), with the HTTP status each maps to. */
export const LANGUAGE_ERROR_CODES = {
  /** evaluate() (sync) was called on a rule set that calls attribute stores: use evaluateAsync(). */
  DG_ERR_LANGUAGE_ASYNC_REQUIRED: 500,
  /** A rule calls an attribute store that was not provided at evaluation time. */
  DG_ERR_LANGUAGE_UNKNOWN_STORE: 500,
  /** An attribute store failed (threw or rejected). */
  DG_ERR_LANGUAGE_STORE_FAILED: 503,
  /** An attribute store returned something other than one array of strings per requested type. */
  DG_ERR_LANGUAGE_STORE_RESULT: 502,
  /** A regular expression built at evaluation time (from a non-literal operand) is not valid. */
  DG_ERR_LANGUAGE_REGEX: 500,
  /**
   * An evaluation exceeded its budget (selector-join tuples, claims produced, attribute-store calls);
   * the caller fails closed.
   */
  DG_ERR_LANGUAGE_BUDGET_EXCEEDED: 503,
  /** compileRuleSet() found errors (raised by callers that need a compiled rule set). */
  DG_ERR_LANGUAGE_INVALID_RULES: 400,
} as const;

export type LanguageErrorCode = keyof typeof LANGUAGE_ERROR_CODES;

export class LanguageError extends Error {
  override readonly name = 'LanguageError';
  readonly code: LanguageErrorCode;
  readonly statusCode: number;
  readonly field?: string;
  /**
   * Index (in its rule set) of the rule being evaluated when an evaluation error happened, when known:
   * the policy layer names that rule in the fail-closed reason.
   */
  ruleIndex?: number;

  constructor(code: LanguageErrorCode, message: string, field?: string, ruleIndex?: number) {
    super(message);
    this.code = code;
    this.statusCode = LANGUAGE_ERROR_CODES[code];
    if (field !== undefined) this.field = field;
    if (ruleIndex !== undefined) this.ruleIndex = ruleIndex;
  }
}

export function isLanguageError(value: unknown): value is LanguageError {
  return value instanceof LanguageError;
}
