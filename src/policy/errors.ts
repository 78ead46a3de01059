import type { LoadProblem } from './load-problem.js';

/** Every error code the policy folder raises, with the HTTP status it maps to. */
export const POLICY_ERROR_CODES = {
  /** rules/ cannot be loaded: a rule file does not compile, a JSON file is invalid, a setting is wrong. */
  DG_ERR_POLICY_LOAD: 500,
  /** No relying party has the requested identifier. */
  DG_ERR_POLICY_UNKNOWN_RELYING_PARTY: 404,
  /** The request itself is malformed (missing relying party, two device presentations ...). */
  DG_ERR_POLICY_BAD_REQUEST: 400,
  /** The directory failed and farm.json says onDirectoryError "error". */
  DG_ERR_POLICY_DIRECTORY_UNAVAILABLE: 503,
  /** An attribute store query failed (bad query text or directory failure) while evaluating rules. */
  DG_ERR_POLICY_ATTRIBUTE_STORE: 503,
  /** A `devicegate import` input cannot be read (not JSON, wrong shape). */
  DG_ERR_POLICY_IMPORT: 400,
  /** The engine was closed. */
  DG_ERR_POLICY_CLOSED: 503,
} as const;

export type PolicyErrorCode = keyof typeof POLICY_ERROR_CODES;

export class PolicyError extends Error {
  override readonly name: string = 'PolicyError';
  readonly code: PolicyErrorCode;
  readonly statusCode: number;
  readonly field?: string;

  constructor(code: PolicyErrorCode, message: string, field?: string) {
    super(message);
    this.code = code;
    this.statusCode = POLICY_ERROR_CODES[code];
    if (field !== undefined) this.field = field;
  }
}

/**
 * rules/ failed to load. `diagnostics` holds every problem as one line each
 * (`file:line:col: error CODE: message` for rule files, `file: message` for JSON).
 */
export class PolicyLoadError extends PolicyError {
  override readonly name = 'PolicyLoadError';
  readonly diagnostics: readonly string[];
  /** Every problem (errors and warnings) with file, line and column where the file has positions. */
  readonly problems: readonly LoadProblem[];

  constructor(diagnostics: readonly string[], problems: readonly LoadProblem[] = []) {
    const first = diagnostics[0] ?? 'unknown error';
    const more = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : '';
    super('DG_ERR_POLICY_LOAD', `rules could not be loaded: ${first}${more}`);
    this.diagnostics = diagnostics;
    this.problems = problems;
  }
}

export function isPolicyError(value: unknown): value is PolicyError {
  return value instanceof PolicyError;
}
