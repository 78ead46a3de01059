import { once } from 'node:events';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { RejectedInputError } from './io.js';

/** An opened audit destination: where the audit lines go, and how to reopen (logrotate) and close it. */
export interface AuditSinkHandle {
  readonly description: string;
  write(line: string): unknown;
  /** Reopens a file destination (after logrotate moved it); a no-op for stdout/stderr. */
  reopen(): void;
  close(): Promise<void>;
}

/**
 * `stdout`, `stderr` or a file path (appended to, directories made). Asynchronous, buffered writes
 * (sonic-boom, as pino uses): a decision never waits for the disk or a slow journal pipe.
 */
export async function openAuditSink(target: string, cwd: string): Promise<AuditSinkHandle> {
  const fd = target === 'stdout' ? 1 : target === 'stderr' ? 2 : undefined;
  const path = fd === undefined ? resolve(cwd, target) : undefined;
  const boom = pino.destination({ ...(fd !== undefined ? { dest: fd } : { dest: path!, mkdir: true, append: true }), sync: false });
  if (path !== undefined) {
    // Opening is asynchronous: wait for it, so an unwritable path stops the start with one line.
    await Promise.race([
      once(boom, 'ready'),
      once(boom, 'error').then(([error]: unknown[]) => {
        throw new RejectedInputError(`--audit-log ${target}: cannot open (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }),
    ]);
  }
  boom.on('error', () => undefined);
  return {
    description: path ?? target,
    write: (line) => boom.write(line),
    reopen: () => {
      if (path !== undefined) boom.reopen();
    },
    close: async () => {
      const closed = once(boom, 'close').catch(() => undefined);
      boom.end();
      await closed;
    },
  };
}
