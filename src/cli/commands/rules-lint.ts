import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { compileRuleSet, formatDiagnostic } from '../../language/index.js';
import { loadRegistry, PolicyLoadError, type LoadProblem } from '../../policy/index.js';
import { readTextFile } from '../../text/index.js';
import { parseCommandArgs } from '../args.js';
import { EXIT_OK, EXIT_REJECTED, RejectedInputError, UsageError, type Command } from '../io.js';

const HELP = `Usage: devicegate rules lint PATH... [--lenient] [--json]

Checks AD FS claim rule files and whole rules/ trees. A PATH that is a rules/ tree (a directory with
farm.json, relying-parties/, access-control-policies/ or claims-providers/) is loaded by the same
loader as "serve" and "decide": every problem of every file (farm.json, relying-party.json, custom
access control policies, rule files, stores, certificates, duplicate identifiers) is reported, with
file:line:col where the file has positions (rule files, JSON, policy XML). A tree lints clean exactly
when serve would load it. Any other directory is searched for *.rules files, each checked on its own.
Prints file:line:col: severity [code]: message for every problem and warning; exits 1 if any is an
error (warnings alone exit 0).

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

const TREE_MARKERS = ['farm.json', 'relying-parties', 'access-control-policies', 'claims-providers'];

/** A directory the loader would read as rules/. */
export async function isRulesTree(dir: string): Promise<boolean> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) return false;
  const names = new Set(await readdir(dir));
  return TREE_MARKERS.some((m) => names.has(m));
}

/** One reported problem: a tree's are the loader's own LoadProblems; a lone rule file's have the same shape. */
type LintItem = LoadProblem;

/** Lints one rules/ tree through loadRegistry: its problems are exactly why it would not load. */
async function lintTree(dir: string, cwd: string, lenient: boolean): Promise<{ items: LintItem[]; files: number }> {
  let items: LintItem[];
  try {
    const registry = await loadRegistry(dir, { cwd, lenient, lint: true });
    items = [...registry.warnings];
  } catch (error) {
    if (!(error instanceof PolicyLoadError)) throw error;
    // Problems the loader collected (errors and warnings); an error without structured problems stays an error.
    items = error.problems.length > 0 ? [...error.problems] : error.diagnostics.map((text) => ({ file: displayPath(dir, cwd), severity: 'error' as const, message: text, text }));
  }
  const all = await collectRuleFiles([dir], cwd);
  return { items, files: all.length };
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
    const lenient = values.lenient === true;
    const items: LintItem[] = [];
    let fileCount = 0;
    const loose: string[] = [];
    for (const p of positionals) {
      const full = resolve(io.cwd, p);
      if (await isRulesTree(full)) {
        const tree = await lintTree(full, io.cwd, lenient);
        items.push(...tree.items);
        fileCount += tree.files;
      } else {
        loose.push(p);
      }
    }
    const files = loose.length > 0 ? await collectRuleFiles(loose, io.cwd) : [];
    for (const file of files) {
      const shown = displayPath(file, io.cwd);
      const source = await readTextFile(file);
      // No attributeStores list here: a lone rule file has no farm, so unknown stores are not errors.
      const { diagnostics } = compileRuleSet(source, { file: shown, lenient, warnHttpsClaimTypes: true });
      for (const d of diagnostics) {
        items.push({ file: shown, line: d.start.line, column: d.start.column, severity: d.severity === 'error' ? 'error' : 'warning', code: d.code, message: d.message, text: formatDiagnostic(d, source) });
      }
    }
    fileCount += files.length;
    const errors = items.filter((d) => d.severity === 'error').length;
    const ok = errors === 0;
    if (values.json) {
      const out = items.map((d) => ({
        file: d.file,
        ...(d.line !== undefined ? { line: d.line, column: d.column ?? 1 } : {}),
        severity: d.severity,
        ...(d.code !== undefined ? { code: d.code } : {}),
        message: d.message,
      }));
      io.stdout.write(`${JSON.stringify({ ok, files: fileCount, diagnostics: out }, null, 2)}\n`);
    } else {
      for (const d of items) io.stdout.write(`${d.text}\n`);
      const warnings = items.length - errors;
      const summary = `${fileCount} file${fileCount === 1 ? '' : 's'}, ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
      (ok ? io.stdout : io.stderr).write(`${summary}\n`);
    }
    return ok ? EXIT_OK : EXIT_REJECTED;
  },
};
