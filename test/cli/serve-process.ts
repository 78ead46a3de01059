/** Starts the built `devicegate serve` as a real process (dist/, built when stale) and reads what it prints. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let built = false;
function ensureBuilt(): void {
  if (built) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts/ensure-dist.mjs')], { stdio: 'inherit' });
  built = true;
}

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly base: string;
  readonly revision: string;
  /** Lines on stdout after the "listening" line (the audit log when it goes to stdout). */
  readonly stdoutLines: string[];
  stderr(): string;
  /** Resolves when stderr has a line matching `pattern` (rejects after `ms`). */
  waitForStderr(pattern: RegExp, ms?: number): Promise<string>;
  stop(): Promise<number | null>;
}

type Teardown = { teardown(fn: () => unknown): void };

export async function startServe(t: Teardown, args: readonly string[], env: Record<string, string> = {}, cwd = ROOT): Promise<ServeProcess> {
  ensureBuilt();
  const child = spawn(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'serve', '--port', '0', ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of [...waiters]) {
      const line = stderr.split('\n').find((l) => w.pattern.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const stdoutLines: string[] = [];
  const lines = createInterface({ input: child.stdout! });
  const first = new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', () => reject(new Error(`serve exited before listening: ${stderr}`)));
  });
  const listening = await first;
  lines.on('line', (line) => stdoutLines.push(line));
  const match = /^devicegate listening on (\S+) \(.*policy revision (\S+)\)$/.exec(listening);
  if (!match) throw new Error(`unexpected first line: ${listening}`);
  return {
    child,
    base: match[1]!,
    revision: match[2]!,
    stdoutLines,
    stderr: () => stderr,
    waitForStderr: (pattern, ms = 20_000) =>
      new Promise<string>((resolve, reject) => {
        const line = stderr.split('\n').find((l) => pattern.test(l));
        if (line !== undefined) return resolve(line);
        const timer = setTimeout(() => reject(new Error(`no stderr line matching ${pattern} within ${ms} ms; stderr: ${stderr.slice(-2000)}`)), ms);
        waiters.push({ pattern, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      }),
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      // let readline deliver the last stdout lines
      await new Promise((resolve) => setImmediate(resolve));
      return code;
    },
  };
}

/** A private copy of the sample rules/ (deleted at teardown). */
export function copyRules(t: Teardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'dg-rules-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(ROOT, 'rules'), join(dir, 'rules'), { recursive: true });
  return join(dir, 'rules');
}
