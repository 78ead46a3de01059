import { generateToken, tokenHashEntry, TOKEN_NAME, type Scope } from '../../server/index.js';
import { parseCommandArgs } from '../args.js';
import { EXIT_OK, UsageError, type CliIO, type Command } from '../io.js';

const HELP = `Usage: devicegate token create [--scope decide|admin] [--name N] [--json]

Makes a new random API token and prints it once, with the DEVICEGATE_API_TOKENS entry that admits it
(its SHA-256; the service never stores or logs the token itself). Give the token to the caller and add
the entry to DEVICEGATE_API_TOKENS (comma-separated), then restart or reload the service.

Options:
  --scope S   decide (default: POST /v1/decisions, AuthZEN, devices) or admin (also /v1/admin/*)
  --name N    the caller's name, shown in logs and the audit log instead of the token
              (1-64 letters, digits, ".", "_", "@", "-")
  --json      print { token, entry, scope, name? }

Exit codes: 0 printed, 2 usage error.
`;

const OPTIONS = {
  scope: { type: 'string' },
  name: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export async function runTokenCreate(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(argv, OPTIONS);
  const scope = values.scope ?? 'decide';
  if (scope !== 'decide' && scope !== 'admin') throw new UsageError(`--scope must be decide or admin, got "${scope}"`);
  if (values.name !== undefined && !TOKEN_NAME.test(values.name)) throw new UsageError('--name must be 1-64 letters, digits, ".", "_", "@" or "-"');
  const token = generateToken();
  const entry = tokenHashEntry(token, scope as Scope, values.name);
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify({ token, entry, scope, ...(values.name !== undefined ? { name: values.name } : {}) })}\n`);
  } else {
    io.stdout.write(`token (shown once; store it now): ${token}\nDEVICEGATE_API_TOKENS entry:     ${entry}\n`);
  }
  return EXIT_OK;
}

export const tokenCreateCommand: Command = { name: 'token create', summary: 'make an API token and print its DEVICEGATE_API_TOKENS entry', help: HELP, run: runTokenCreate };
