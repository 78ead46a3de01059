import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { openScanner } from '../../directory/index.js';
import { parseRfc3339 } from '../../policy/index.js';
import { buildInventory, renderFindingsCsv, renderInventoryHtml, renderInventoryTable } from '../../inventory/index.js';
import { parseCommandArgs } from '../args.js';
import { DIRECTORY_HELP, DIRECTORY_OPTIONS, directoryOptionsFromFlags } from '../directory-flags.js';
import { EXIT_OK, RejectedInputError, UsageError, type CliIO, type Command } from '../io.js';

/** The directory flags without --rules (the inventory and whfb check read no rules). */
const { rules: _rules, ...ldapOptions } = DIRECTORY_OPTIONS;
export const LDAP_OPTIONS = ldapOptions;
export const LDAP_HELP = DIRECTORY_HELP.split('\n').filter((line) => !line.trimStart().startsWith('--rules')).join('\n');

const HELP = `Usage: devicegate inventory [--directory D] [--stale-days N] [--json | --csv F | --html F]

One paged pass over every msDS-Device object of the domain and over every user holding Windows Hello
for Business keys (msDS-KeyCredentialLink), then a report: devices by trust type, OS, managed,
compliant, disabled, stale; devices without owner, sharing a certificate key, outside the container
msDS-DeviceLocation names, without a certificate key; keys by usage, source and age; orphaned keys
(no device object), ROCA-vulnerable keys (CVE-2017-15361), malformed keys, keys on disabled, stale or
someone else's devices.

Options:
  --stale-days N      a device whose last logon is older is stale (default 90)
  --at TIME           report as of this time (RFC 3339; default now)
  --page-size N       LDAP page size (default 500)
  --json              print the report as JSON: { devices, keys, findings: [{ kind, dn, detail }], ... }
  --csv F             write the findings to F as CSV (kind, dn, detail)
  --html F            write a self-contained HTML report with charts to F
${LDAP_HELP}

Without --json the summary table goes to stdout (a progress line on stderr when it is a terminal).
Exit codes: 0 report made (whatever it found), 1 directory unreadable, 2 usage error.
`;

const OPTIONS = {
  ...LDAP_OPTIONS,
  'stale-days': { type: 'string' },
  at: { type: 'string' },
  'page-size': { type: 'string' },
  json: { type: 'boolean' },
  csv: { type: 'string' },
  html: { type: 'string' },
} as const;

function positiveInteger(flag: string, text: string | undefined, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > max) throw new UsageError(`--${flag} must be an integer from 1 to ${max}, got "${text}"`);
  return n;
}

/** --at: RFC 3339 only (the policy's parser, as `decide --at` and the HTTP "at" use). */
function atFlag(text: string): Date {
  const date = parseRfc3339(text);
  if (date === undefined) throw new UsageError(`--at must be an RFC 3339 time like 2026-11-20T12:00:00Z, got "${text.slice(0, 64)}"`);
  return date;
}

async function writeOut(file: string, text: string, io: CliIO): Promise<void> {
  try {
    await writeFile(resolve(io.cwd, file), text);
  } catch (error) {
    throw new RejectedInputError(`${file}: cannot write (${(error as NodeJS.ErrnoException).code ?? 'write error'})`);
  }
}

export async function runInventory(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(argv, OPTIONS);
  const staleDays = positiveInteger('stale-days', values['stale-days'], 36_500);
  const pageSize = positiveInteger('page-size', values['page-size'], 5000);
  const now = values.at !== undefined ? atFlag(values.at) : undefined;
  const scanner = await openScanner(directoryOptionsFromFlags(values, io));
  const progress = io.stderr.isTTY === true && values.json !== true;
  try {
    const report = await buildInventory(scanner, {
      ...(staleDays !== undefined ? { staleDays } : {}),
      ...(pageSize !== undefined ? { pageSize } : {}),
      ...(now !== undefined ? { now } : {}),
      ...(progress ? { onProgress: (p: { devices: number; users: number }) => io.stderr.write(`\rscanning: ${p.devices} devices, ${p.users} users with keys`) } : {}),
    });
    if (progress) io.stderr.write('\n');
    if (values.csv !== undefined) await writeOut(values.csv, renderFindingsCsv(report), io);
    if (values.html !== undefined) await writeOut(values.html, renderInventoryHtml(report), io);
    io.stdout.write(values.json === true ? `${JSON.stringify(report, null, 2)}\n` : renderInventoryTable(report));
    return EXIT_OK;
  } finally {
    await scanner.close();
  }
}

export const inventoryCommand: Command = { name: 'inventory', summary: 'device writeback inventory and WHfB key findings', help: HELP, run: runInventory };
