/** Every error code the load tester raises (CLI only; the HTTP status column is what the input error would be). */
export const LOADTEST_ERROR_CODES = {
  /** The device population (--devices file or --from-directory sample) cannot be read, or holds no usable device. */
  DG_ERR_LOADTEST_POPULATION: 400,
  /** The target cannot be used: not an http(s):// or ldap(s):// URL, or its relying parties cannot be listed. */
  DG_ERR_LOADTEST_TARGET: 400,
} as const;

export type LoadtestErrorCode = keyof typeof LOADTEST_ERROR_CODES;

export class LoadtestError extends Error {
  override readonly name = 'LoadtestError';
  readonly code: LoadtestErrorCode;
  readonly statusCode: number;

  constructor(code: LoadtestErrorCode, message: string) {
    super(message);
    this.code = code;
    this.statusCode = LOADTEST_ERROR_CODES[code];
  }
}
