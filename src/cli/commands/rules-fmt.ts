import { readFile, writeFile } from 'node:fs/promises';
import { formatDiagnostic, parseRuleSet, printRuleSet } from '../../language/index.js';
import { decodeText } from '../../text/index.js';
import { parseCommandArgs } from '../args.js';
import { EXIT_OK, EXIT_REJECTED, UsageError, type Command } from '../io.js';
import { collectRuleFiles, displayPath } from './rules-lint.js';

const HELP = `Usage: devicegate rules fmt PATH... [--check]

Rewrites rule files (or every *.rules under a directory) in canonical form: one blank line between
rules, canonical keyword spelling, ' => issue(...)' on its own line. Files with syntax errors are left
alone and reported.

Options:
  --check  change nothing; exit 1 if any file would change
`;

export const rulesFmtCommand: Command = {
  name: 'rules fmt',
  summary: 'rewrite rule files in canonical form',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { check: { type: 'boolean' } }, true);
    if (positionals.length === 0) throw new UsageError('name at least one rule file or directory');
    const files = await collectRuleFiles(positionals, io.cwd);
    let failed = false;
    let changed = 0;
    for (const file of files) {
      const shown = displayPath(file, io.cwd);
      const bytes = await readFile(file);
      const source = decodeText(bytes);
      const { ast, diagnostics } = parseRuleSet(source, { file: shown });
      const errors = diagnostics.filter((d) => d.severity === 'error');
      if (errors.length > 0) {
        for (const d of errors) io.stderr.write(`${formatDiagnostic(d, source)}\n`);
        failed = true;
        continue;
      }
      const printed = printRuleSet(ast);
      // Canonical means the bytes too: UTF-8 without BOM, LF line ends.
      if (Buffer.from(printed, 'utf8').equals(bytes)) continue;
      changed++;
      if (values.check) {
        io.stdout.write(`${shown}: not in canonical form\n`);
        failed = true;
      } else {
        await writeFile(file, printed, 'utf8');
        io.stdout.write(`${shown}: formatted\n`);
      }
    }
    if (!values.check && changed === 0 && !failed) io.stdout.write(`${files.length} file${files.length === 1 ? '' : 's'} already canonical\n`);
    return failed ? EXIT_REJECTED : EXIT_OK;
  },
};
