import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { compileRuleSet, formatDiagnostic, type Diagnostic } from '../../language/index.js';
import { readTextFile } from '../../text/index.js';
import { parseCommandArgs } from '../args.js';
import { EXIT_OK, EXIT_REJECTED, RejectedInputError, UsageError, type Command } from '../io.js';

const HELP = `Usage: devicegate rules lint PATH... [--lenient] [--json]

Parses and checks AD FS claim rule files. A PATH is a file or a directory (searched for *.rules).
Prints file:line:col: severity code: message for every problem; exits 1 if any is an error.

Options:
  --lenient  repair typographic quotes and accept a missing final ';' (with warnings)
  --json     print { "ok", "diagnostics": [{ file, line, column, severity, code, message }] }
`;

/** Files named on the command line, and *.rules files under named directories (sorted). */
export async function collectRuleFiles(paths: readonly string[], cwd: string, extension = '.rules'): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && e.name.endsWith(extension)) files.push(p);
    }
  };
  for (const p of paths) {
    const full = resolve(cwd, p);
    const info = await stat(full).catch(() => undefined);
    if (!info) throw new RejectedInputError(`${p}: no such file or directory`);
    if (info.isDirectory()) await walk(full);
    else files.push(full);
  }
  return files;
}

export function displayPath(file: string, cwd: string): string {
  const base = resolve(cwd);
  return file.startsWith(`${base}/`) ? file.slice(base.length + 1) : file;
}

export const rulesLintCommand: Command = {
  name: 'rules lint',
  summary: 'parse and validate rule files or whole rules/ trees',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { lenient: { type: 'boolean' }, json: { type: 'boolean' } }, true);
    if (positionals.length === 0) throw new UsageError('name at least one rule file or directory');
    const files = await collectRuleFiles(positionals, io.cwd);
    const all: Diagnostic[] = [];
    const sources = new Map<string, string>();
    for (const file of files) {
      const shown = displayPath(file, io.cwd);
      const source = await readTextFile(file);
      sources.set(shown, source);
      // No attributeStores list here: lint cannot know the farm's stores, so unknown stores are not errors.
      const { diagnostics } = compileRuleSet(source, { file: shown, lenient: values.lenient === true, warnHttpsClaimTypes: true });
      all.push(...diagnostics);
    }
    const ok = !all.some((d) => d.severity === 'error');
    if (values.json) {
      const out = all.map((d) => ({ file: d.file ?? '', line: d.start.line, column: d.start.column, severity: d.severity, code: d.code, message: d.message }));
      io.stdout.write(`${JSON.stringify({ ok, files: files.length, diagnostics: out }, null, 2)}\n`);
    } else {
      for (const d of all) io.stdout.write(`${formatDiagnostic(d, sources.get(d.file ?? ''))}\n`);
      const errors = all.filter((d) => d.severity === 'error').length;
      const summary = `${files.length} file${files.length === 1 ? '' : 's'}, ${errors} error${errors === 1 ? '' : 's'}, ${all.length - errors} warning${all.length - errors === 1 ? '' : 's'}`;
      (ok ? io.stdout : io.stderr).write(`${summary}\n`);
    }
    return ok ? EXIT_OK : EXIT_REJECTED;
  },
};
