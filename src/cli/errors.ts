/** Every error code the CLI itself raises, with the HTTP status the same input gets from the API. */
export const CLI_ERROR_CODES = {
  /** A command-line input was rejected (unreadable file, wrong JSON shape, a bad batch line). */
  DG_ERR_CLI_INVALID_INPUT: 400,
} as const;

export type CliErrorCode = keyof typeof CLI_ERROR_CODES;
