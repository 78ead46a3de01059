import { resolve } from 'node:path';
import { importAdfsExport } from '../../policy/index.js';
import { parseCommandArgs } from '../args.js';
import { EXIT_OK, EXIT_REJECTED, UsageError, type CliIO, type Command } from '../io.js';

const HELP = `Usage: devicegate import [F.json] [--policies P.json] --out DIR [--force] [--json]

Imports a "Get-AdfsRelyingPartyTrust | ConvertTo-Json -Depth 4" export (one trust or an array;
UTF-8 with or without BOM, or UTF-16 as PowerShell writes it) into the rules/ layout under DIR:
  DIR/relying-parties/<slug>/relying-party.json, authorization.rules,
  additional-authentication.rules, issuance.rules
  DIR/access-control-policies/<slug>/access-control-policy.json, policy-metadata.xml

A trust on a custom access control policy brings the policy from its ResultantPolicy; with
--policies, the policies of a "Get-AdfsAccessControlPolicy | ConvertTo-Json -Depth 4" export are
written too (and trusts are resolved against them, parameters included).

Every rule set and policy is checked first; a trust whose rules or policy do not load is reported
with file:line:col and skipped, never half-written. Files are written canonically (UTF-8, LF,
"rules fmt" clean).

Options:
  --out DIR          the rules/ directory to write into (created when missing)
  --policies P.json  an access control policy export
  --force            replace relying parties and policies that already exist in DIR
  --json             print the report as JSON

Exit codes: 0 every trust imported, 1 some trust skipped or the input rejected, 2 usage error.
`;

const OPTIONS = {
  out: { type: 'string' },
  policies: { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export async function runImport(argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, true);
  if (positionals.length > 1) throw new UsageError('give at most one relying-party export file (F.json)');
  if (positionals.length === 0 && values.policies === undefined) throw new UsageError('give a relying-party export F.json and/or --policies P.json');
  if (values.out === undefined) throw new UsageError('--out DIR is required');
  const input = positionals[0];
  const report = await importAdfsExport(input !== undefined ? resolve(io.cwd, input) : undefined, {
    outDir: resolve(io.cwd, values.out),
    force: values.force === true,
    ...(input !== undefined ? { inputName: input } : {}),
    ...(values.policies !== undefined ? { policiesPath: resolve(io.cwd, values.policies), policiesName: values.policies } : {}),
  });
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    for (const t of report.imported) {
      io.stdout.write(`imported "${t.name}" -> ${values.out}/relying-parties/${t.slug} (${t.files.join(', ')})\n`);
      for (const w of t.warnings) io.stderr.write(`warning: ${w}\n`);
    }
    for (const p of report.policies) io.stdout.write(`imported policy "${p.name}" -> ${values.out}/access-control-policies/${p.slug} (from ${p.source})\n`);
    for (const s of [...report.skippedPolicies, ...report.skipped]) {
      io.stderr.write(`skipped "${s.name}":\n`);
      for (const p of s.problems) io.stderr.write(`  ${p}\n`);
    }
    const policies = report.policies.length + report.skippedPolicies.length > 0 ? `; policies: ${report.policies.length} imported, ${report.skippedPolicies.length} skipped` : '';
    io.stdout.write(`${report.imported.length} imported, ${report.skipped.length} skipped${policies}\n`);
  }
  return report.skipped.length + report.skippedPolicies.length > 0 ? EXIT_REJECTED : EXIT_OK;
}

export const importCommand: Command = { name: 'import', summary: 'import an AD FS relying-party export', help: HELP, run: runImport };
