import { once } from 'node:events';
import { resolve } from 'node:path';
import sonicBoom from 'sonic-boom';
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
 * `stdout`, `stderr` or a file path (appended to, directories made). Asynchronous writes through
 * sonic-boom (as pino uses; it handles partial writes, EAGAIN on pipes and reopening): a decision
 * never waits for the disk or a slow journal pipe. Lines are joined here and handed over in batches of
 * 32 KiB or once a second, whichever comes first, and flushed on reopen and close: sonic-boom's own
 * per-write work cost about 3 µs of CPU per line, a batch about 1 µs (bench/http, README).
 */
const BATCH_CHARS = 32 * 1024;
const FLUSH_MS = 1000;

export async function openAuditSink(target: string, cwd: string): Promise<AuditSinkHandle> {
  const fd = target === 'stdout' ? 1 : target === 'stderr' ? 2 : undefined;
  const path = fd === undefined ? resolve(cwd, target) : undefined;
  // SonicBoom itself, not pino.destination(): that one also flushes at process exit, which throws when
  // the file never opened.
  const boom = new sonicBoom.SonicBoom({
    ...(fd !== undefined ? { dest: fd } : { dest: path!, mkdir: true, append: true }),
    sync: false,
  });
  if (path !== undefined) {
    // Opening is asynchronous: wait for it, so an unwritable path stops the start with one line.
    await new Promise<void>((ready, fail) => {
      boom.once('ready', () => ready());
      boom.once('error', (error: NodeJS.ErrnoException) => fail(new RejectedInputError(`--audit-log ${target}: cannot open (${error.code ?? 'error'})`)));
    });
  }
  boom.on('error', () => undefined);
  let pending: string[] = [];
  let size = 0;
  const flush = (): void => {
    if (pending.length === 0) return;
    boom.write(pending.length === 1 ? pending[0]! : pending.join(''));
    pending = [];
    size = 0;
  };
  const timer = setInterval(flush, FLUSH_MS);
  timer.unref();
  return {
    description: path ?? target,
    write: (line) => {
      pending.push(line);
      size += line.length;
      if (size >= BATCH_CHARS) flush();
    },
    reopen: () => {
      flush();
      if (path !== undefined) boom.reopen();
    },
    close: async () => {
      clearInterval(timer);
      flush();
      const closed = once(boom, 'close').catch(() => undefined);
      boom.end();
      await closed;
    },
  };
}
