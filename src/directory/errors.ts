/** Every error code the directory raises, with the HTTP status it maps to. */
export const DIRECTORY_ERROR_CODES = {
  /** Bad directory URL / options (`--directory`, `--bind-dn` ...). */
  DG_ERR_DIRECTORY_CONFIG: 400,
  /** The LDIF file cannot be read or parsed (message names file:line). */
  DG_ERR_DIRECTORY_LDIF: 400,
  /** A searchAttributes filter is not valid RFC 4515 text. */
  DG_ERR_DIRECTORY_FILTER: 400,
  /** No domain controller answered (refused, reset, closed mid-operation). */
  DG_ERR_DIRECTORY_UNAVAILABLE: 503,
  /** The operation did not finish within the configured timeout. */
  DG_ERR_DIRECTORY_TIMEOUT: 503,
  /** TLS handshake failed (certificate not trusted, name mismatch, server has no TLS). */
  DG_ERR_DIRECTORY_TLS: 503,
  /** The service account bind was refused (the message never holds the password). */
  DG_ERR_DIRECTORY_BIND: 503,
  /** The directory answered with an error result (e.g. insufficient access). */
  DG_ERR_DIRECTORY_SEARCH: 503,
  /** A device object holds a value that cannot be decoded (e.g. a 4-byte msDS-DeviceID). */
  DG_ERR_DIRECTORY_DATA: 502,
  /** The directory was closed. */
  DG_ERR_DIRECTORY_CLOSED: 503,
  /** A searchAttributes search matched more entries than its size limit: the result would be partial, so there is none. */
  DG_ERR_DIRECTORY_SIZE_LIMIT: 502,
} as const;

export type DirectoryErrorCode = keyof typeof DIRECTORY_ERROR_CODES;

export class DirectoryError extends Error {
  override readonly name = 'DirectoryError';
  readonly code: DirectoryErrorCode;
  readonly statusCode: number;
  readonly field?: string;

  constructor(code: DirectoryErrorCode, message: string, field?: string) {
    super(message);
    this.code = code;
    this.statusCode = DIRECTORY_ERROR_CODES[code];
    if (field !== undefined) this.field = field;
  }
}

export function isDirectoryError(value: unknown): value is DirectoryError {
  return value instanceof DirectoryError;
}
