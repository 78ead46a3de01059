import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';

export const ROOT = new URL('../../', import.meta.url).pathname;

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `devicegate <argv>` in-process with captured stdout/stderr (stderr a TTY when asked). */
export async function runCapture(argv: readonly string[], options: { cwd?: string; tty?: boolean; env?: Record<string, string> } = {}): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), options.tty ? { isTTY: true } : {});
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const io: CliIO = { stdout, stderr, stdin: new PassThrough(), env: options.env ?? {}, cwd: options.cwd ?? ROOT };
  const code = await runCli(argv, io);
  return { code, out, err };
}
