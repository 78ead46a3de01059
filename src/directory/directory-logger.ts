/** The part of a pino logger the directory writes to (DC down/up, failover, bind failures, change tracking). */
export interface DirectoryLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const SILENT_LOGGER: DirectoryLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
