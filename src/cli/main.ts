#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT_INTERNAL, EXIT_OK, EXIT_REJECTED, EXIT_UNAVAILABLE, EXIT_USAGE, RejectedInputError, UnavailableError, UsageError, type CliIO, type Command } from './io.js';
import { packageVersion } from './package-root.js';

/** Commands load lazily so `devicegate cert key` does not pay for Fastify. */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  decide: async () => (await import('./commands/decide.js')).decideCommand,
  device: async () => (await import('./commands/device.js')).deviceCommand,
  'cert key': async () => (await import('./commands/cert-key.js')).certKeyCommand,
  'rules lint': async () => (await import('./commands/rules-lint.js')).rulesLintCommand,
  'rules eval': async () => (await import('./commands/rules-eval.js')).rulesEvalCommand,
  'rules fmt': async () => (await import('./commands/rules-fmt.js')).rulesFmtCommand,
  import: async () => (await import('./commands/import.js')).importCommand,
  inventory: async () => (await import('./commands/inventory.js')).inventoryCommand,
  'whfb check': async () => (await import('./commands/whfb-check.js')).whfbCheckCommand,
  'token create': async () => (await import('./commands/token-create.js')).tokenCreateCommand,
  loadtest: async () => (await import('./commands/loadtest.js')).loadtestCommand,
};

const SUMMARIES: Readonly<Record<string, string>> = {
  serve: 'run the HTTP decision service',
  decide: 'one what-if decision (or --batch F.jsonl), same code path as the HTTP API',
  device: 'look a device up and print its record, status and device claims',
  'cert key': 'print the altSecurityIdentities value of a device certificate',
  'rules lint': 'parse and validate rule files or whole rules/ trees',
  'rules eval': 'run one rule set over an input claim set',
  'rules fmt': 'rewrite rule files in canonical form',
  import: 'import Get-AdfsRelyingPartyTrust (and Get-AdfsAccessControlPolicy) exports into the rules/ layout',
  inventory: 'devices and WHfB keys as device writeback left them, with findings',
  'whfb check': 'Windows Hello for Business hybrid certificate trust prerequisites for one user',
  'token create': 'make an API token (printed once) and its DEVICEGATE_API_TOKENS entry',
  loadtest: 'load-test a devicegate deployment (http) or the domain controllers (ldap)',
};

export const TOP_HELP = `devicegate: device-based conditional access decisions for AD FS relying parties

Usage: devicegate <command> [options]

Commands:
${Object.entries(SUMMARIES)
  .map(([name, summary]) => `  ${name.padEnd(12)} ${summary}`)
  .join('\n')}

Run "devicegate <command> --help" for a command's options; "devicegate --version" (-v) prints the version.
Exit codes: 0 success, 1 rejected input (a device not found included), 2 usage error,
69 cannot start (serve: address in use, no permission to listen), 70 internal error (a bug).
`;

/** `devicegate rules --help`: the subcommands of a command group ("rules", "cert"). */
function groupHelp(group: string): string | undefined {
  const members = Object.keys(SUMMARIES).filter((k) => k.startsWith(`${group} `));
  if (members.length === 0) return undefined;
  const width = Math.max(...members.map((m) => m.length)) + 'devicegate '.length;
  return `Usage: devicegate ${group} <subcommand> [options]

Subcommands:
${members.map((m) => `  ${`devicegate ${m}`.padEnd(width)}  ${SUMMARIES[m]!}`).join('\n')}

Run "devicegate ${group} <subcommand> --help" for its options.
`;
}

function resolveCommand(argv: readonly string[]): { key: string; rest: readonly string[] } | undefined {
  const two = argv.slice(0, 2).join(' ');
  if (argv.length >= 2 && two in COMMANDS) return { key: two, rest: argv.slice(2) };
  const one = argv[0];
  if (one !== undefined && one in COMMANDS) return { key: one, rest: argv.slice(1) };
  return undefined;
}

export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout.write(TOP_HELP);
    return argv.length === 0 ? EXIT_USAGE : EXIT_OK;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    io.stdout.write(`devicegate ${packageVersion()}\n`);
    return EXIT_OK;
  }
  const resolved = resolveCommand(argv);
  const group = argv[0] !== undefined ? groupHelp(argv[0]) : undefined;
  if (!resolved && group !== undefined && (argv.length === 1 || argv[1] === '--help' || argv[1] === '-h' || argv[1] === 'help')) {
    (argv.length === 1 ? io.stderr : io.stdout).write(group);
    return argv.length === 1 ? EXIT_USAGE : EXIT_OK;
  }
  if (!resolved) {
    const group = Object.keys(COMMANDS).filter((k) => k.startsWith(`${argv[0] ?? ''} `));
    const hint = group.length > 0 ? ` (did you mean: ${group.map((g) => `devicegate ${g}`).join(', ')}?)` : '';
    io.stderr.write(`devicegate: unknown command "${argv.slice(0, 2).join(' ')}"${hint}\nRun "devicegate --help".\n`);
    return EXIT_USAGE;
  }
  const command = await COMMANDS[resolved.key]!();
  if (resolved.rest.includes('--help') || resolved.rest.includes('-h')) {
    io.stdout.write(command.help.endsWith('\n') ? command.help : `${command.help}\n`);
    return EXIT_OK;
  }
  try {
    return await command.run(resolved.rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`devicegate ${resolved.key}: ${error.message}\nRun "devicegate ${resolved.key} --help".\n`);
      return EXIT_USAGE;
    }
    if (error instanceof UnavailableError) {
      io.stderr.write(`devicegate ${resolved.key}: ${error.message}\n`);
      return EXIT_UNAVAILABLE;
    }
    if (error instanceof RejectedInputError || isCodedError(error)) {
      io.stderr.write(`devicegate ${resolved.key}: ${(error as Error).message}\n`);
      return EXIT_REJECTED;
    }
    throw error;
  }
}

/** Project errors carry a DG_ERR_* code; they are the caller's fault or the environment's, never a crash. */
function isCodedError(error: unknown): boolean {
  const code: unknown = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('DG_ERR_');
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isMain()) {
  const io: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
  runCli(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      // One line, whatever the message holds.
      process.stderr.write(`devicegate: internal error: ${(error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ')}\n`);
      process.exitCode = EXIT_INTERNAL;
    },
  );
}
