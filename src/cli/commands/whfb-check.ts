import { openScanner } from '../../directory/index.js';
import { checkWhfb, parseUserLookup } from '../../inventory/index.js';
import { parseCommandArgs } from '../args.js';
import { directoryOptionsFromFlags } from '../directory-flags.js';
import { EXIT_OK, EXIT_REJECTED, UsageError, type CliIO, type Command } from '../io.js';
import { LDAP_HELP, LDAP_OPTIONS } from './inventory.js';
import { normalizeDeviceId } from '../../certificate/index.js';

const HELP = `Usage: devicegate whfb check --user UPN|SID|DN [--device ID] [--json]

Checks, for one user, the Windows Hello for Business hybrid certificate trust prerequisites that depend
on device writeback: the device registration service object exists; the user exists and has NGC keys
(msDS-KeyCredentialLink); for each key, its device is written back, enabled, registered to this user
(owner or registered users) and carries its certificate key. Each failed check says what to do.

Options:
  --user U            user@contoso.com, S-1-5-21-..., or CN=...,DC=... (required)
  --device ID         only the keys made on this device (GUID)
  --json              { user, ok, checks: [{ check, status, message, fix?, keyId?, deviceId? }] }
${LDAP_HELP}

Exit codes: 0 every check passes, 1 a check fails (or the directory is unreadable), 2 usage error.
`;

const OPTIONS = { ...LDAP_OPTIONS, user: { type: 'string' }, device: { type: 'string' }, json: { type: 'boolean' } } as const;

export async function runWhfbCheck(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(argv, OPTIONS);
  if (values.user === undefined) throw new UsageError('--user is required');
  if (!parseUserLookup(values.user)) throw new UsageError(`--user must be a UPN (user@domain), a SID (S-1-5-...) or a DN (CN=...), got "${values.user.slice(0, 80)}"`);
  let deviceId: string | undefined;
  if (values.device !== undefined) {
    try {
      deviceId = normalizeDeviceId(values.device);
    } catch {
      throw new UsageError(`--device must be a device ID (GUID), got "${values.device.slice(0, 80)}"`);
    }
  }
  const scanner = await openScanner(directoryOptionsFromFlags(values, io));
  try {
    const result = await checkWhfb(scanner, values.user, deviceId !== undefined ? { deviceId } : {});
    if (values.json === true) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      const lines = [`user ${values.user}${result.user.dn ? ` = ${result.user.dn}` : ''}`];
      for (const c of result.checks) {
        lines.push(`  ${c.status.toUpperCase().padEnd(4)} ${c.check}${c.deviceId ? ` [device ${c.deviceId}]` : ''}: ${c.message}`);
        if (c.fix && c.status !== 'pass') lines.push(`       what to do: ${c.fix}`);
      }
      lines.push(result.ok ? 'all prerequisites met' : 'prerequisites NOT met');
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    return result.ok ? EXIT_OK : EXIT_REJECTED;
  } finally {
    await scanner.close();
  }
}

export const whfbCheckCommand: Command = { name: 'whfb check', summary: 'WHfB hybrid certificate trust prerequisites for one user', help: HELP, run: runWhfbCheck };
