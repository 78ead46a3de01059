import { resolve } from 'node:path';
import { importAdfsExport } from '../../policy/index.js';
import { parseCommandArgs } from '../args.js';
import { EXIT_OK, EXIT_REJECTED, UsageError, type CliIO, type Command } from '../io.js';

const HELP = `Usage: devicegate import F.json --out DIR [--force] [--json]

Imports a "Get-AdfsRelyingPartyTrust | ConvertTo-Json" export (one trust or an array; UTF-8 or
UTF-16 as PowerShell writes it) into the rules/ layout under DIR:
  DIR/relying-parties/<slug>/relying-party.json, authorization.rules,
  additional-authentication.rules, issuance.rules

Every rule set is compiled first; a trust whose rules do not parse is reported with
file:line:col and skipped, never half-written.

Options:
  --out DIR   the rules/ directory to write into (created when missing)
  --force     replace relying parties that already exist in DIR
  --json      print the report as JSON

Exit codes: 0 every trust imported, 1 some trust skipped or the input rejected, 2 usage error.
`;

const OPTIONS = {
  out: { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export async function runImport(argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, true);
  if (positionals.length !== 1) throw new UsageError('give exactly one export file (F.json)');
  if (values.out === undefined) throw new UsageError('--out DIR is required');
  const input = positionals[0]!;
  const report = await importAdfsExport(resolve(io.cwd, input), { outDir: resolve(io.cwd, values.out), force: values.force === true, inputName: input });
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    for (const t of report.imported) {
      io.stdout.write(`imported "${t.name}" -> ${values.out}/relying-parties/${t.slug} (${t.files.join(', ')})\n`);
      for (const w of t.warnings) io.stderr.write(`warning: ${w}\n`);
    }
    for (const s of report.skipped) {
      io.stderr.write(`skipped "${s.name}":\n`);
      for (const p of s.problems) io.stderr.write(`  ${p}\n`);
    }
    io.stdout.write(`${report.imported.length} imported, ${report.skipped.length} skipped\n`);
  }
  return report.skipped.length > 0 ? EXIT_REJECTED : EXIT_OK;
}

export const importCommand: Command = { name: 'import', summary: 'import an AD FS relying-party export', help: HELP, run: runImport };
