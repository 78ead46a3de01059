import type { CliErrorCode } from './errors.js';

/** What a command may touch. Tests pass their own; main.ts passes the process's. */
export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** Exit codes shared by every command (design.md "CLI (binding)"). */
export const EXIT_OK = 0;
export const EXIT_REJECTED = 1;
export const EXIT_USAGE = 2;
/** The environment refused (sysexits EX_UNAVAILABLE): e.g. `serve` cannot listen (address in use, no permission). */
export const EXIT_UNAVAILABLE = 69;
/** A bug (sysexits EX_SOFTWARE): "internal error: ..." on stderr. */
export const EXIT_INTERNAL = 70;

/** Thrown for a usage error: main prints the message and the command's help hint, exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Thrown for a rejected input: main prints the one-line reason, exits 1 (`decide --batch` reports its code per line). */
export class RejectedInputError extends Error {
  override readonly name = 'RejectedInputError';
  readonly code: CliErrorCode = 'DG_ERR_CLI_INVALID_INPUT';
}

/** Thrown when the environment refuses (port in use ...): main prints the one-line reason, exits 69. */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
}

export type CommandRun = (argv: readonly string[], io: CliIO) => Promise<number>;

export interface Command {
  /** e.g. "rules lint" */
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  readonly run: CommandRun;
}
