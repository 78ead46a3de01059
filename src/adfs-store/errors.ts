/** Every error code of the AD FS attribute-store contract, with the HTTP status it maps to. */
export const ADFS_STORE_ERROR_CODES = {
  /** The query text is not `<verb>;<column,...>;<argument>;...` (empty part, stray brace, bad placeholder ...). */
  DG_ERR_ADFS_QUERY_SYNTAX: 400,
  /** The verb is not one devicegate serves (`device`, `decision`). */
  DG_ERR_ADFS_QUERY_VERB: 400,
  /** A column is not one the verb returns, or is listed twice. */
  DG_ERR_ADFS_QUERY_COLUMN: 400,
  /** The verb takes a different number of arguments. */
  DG_ERR_ADFS_QUERY_ARITY: 400,
  /** The query, a column list or the parameters exceed a limit (lengths, counts). */
  DG_ERR_ADFS_QUERY_LIMIT: 400,
  /** A `{n}` placeholder names a parameter the request does not carry. */
  DG_ERR_ADFS_QUERY_PARAMETER: 400,
  /** A bound value is not what its argument needs (device ID or thumbprint, SID). */
  DG_ERR_ADFS_QUERY_VALUE: 400,
  /** The directory could not be reached, so the device columns cannot be answered (never an empty table). */
  DG_ERR_ADFS_DIRECTORY_UNAVAILABLE: 503,
} as const;

export type AdfsStoreErrorCode = keyof typeof ADFS_STORE_ERROR_CODES;

/** A coded error; `position` is the 0-based offset in the query text where the problem starts. */
export class AdfsStoreError extends Error {
  override readonly name = 'AdfsStoreError';
  readonly code: AdfsStoreErrorCode;
  readonly statusCode: number;
  readonly field: string;
  readonly position?: number;

  constructor(code: AdfsStoreErrorCode, message: string, options: { field?: string; position?: number } = {}) {
    super(message);
    this.code = code;
    this.statusCode = ADFS_STORE_ERROR_CODES[code];
    this.field = options.field ?? 'query';
    if (options.position !== undefined) this.position = options.position;
  }
}

export function isAdfsStoreError(value: unknown): value is AdfsStoreError {
  return value instanceof AdfsStoreError;
}
