import type { DecisionEngineWithInternals } from '../../policy/index.js';
import { parseCommandArgs } from '../args.js';
import { EXIT_OK, EXIT_REJECTED, UsageError, type CliIO, type Command } from '../io.js';
import { DEVICE_OPTIONS, devicePresentationFromFlags } from '../device-flags.js';
import { DIRECTORY_HELP, DIRECTORY_OPTIONS } from '../directory-flags.js';
import { openEngine, reportLoadError } from './decide.js';

const HELP = `Usage: devicegate device (--cert F | --thumbprint X | --device-id G) [options]

Looks a device up and prints its status, directory record and the device claims AD FS would issue.

Options:
  --cert F            device certificate file (PEM or DER); also runs the certificate checks
  --thumbprint X      SHA-1 thumbprint (40 hex digits; colons/spaces allowed)
  --device-id G       msDS-DeviceID (GUID)
  --primary-sid S     the user's SID, to compute the isregistereduser claim
  --at TIME           evaluation time (ISO 8601; default now)
${DIRECTORY_HELP}
  --json              { "status", "device": {...record}, "claims": [...] }

Exit codes: 0 a device object was found (whatever its status), 1 no device object matches (the
record and claims are still printed: status unknown), rejected input or directory unavailable,
2 usage error.
`;

const OPTIONS = {
  ...DIRECTORY_OPTIONS,
  ...DEVICE_OPTIONS,
  'primary-sid': { type: 'string' },
  at: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export async function runDevice(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(argv, OPTIONS);
  const given = [values.cert, values.thumbprint, values['device-id']].filter((v) => v !== undefined);
  if (given.length !== 1) throw new UsageError('give exactly one of --cert, --thumbprint, --device-id');
  let at: Date | undefined;
  if (values.at !== undefined) {
    at = new Date(values.at);
    if (Number.isNaN(at.getTime())) throw new UsageError(`--at must be an ISO 8601 time, got "${values.at}"`);
  }
  const device = (await devicePresentationFromFlags(values, io.cwd))!;

  let engine: DecisionEngineWithInternals;
  try {
    engine = await openEngine(values, io);
  } catch (error) {
    return reportLoadError(error, io, 'device');
  }
  try {
    const d = await engine.describeDevice(device, {
      ...(values['primary-sid'] !== undefined ? { primarySid: values['primary-sid'] } : {}),
      ...(at !== undefined ? { at } : {}),
    });
    if (d.status === 'directory_unavailable') {
      io.stderr.write(`devicegate device: the directory is unavailable (${d.detail ?? 'error'})\n`);
      return EXIT_REJECTED;
    }
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify({ status: d.status, ...(d.detail !== undefined ? { detail: d.detail } : {}), device: d.record ?? null, claims: d.claims })}\n`);
    } else {
      const lines = [`status: ${d.status}${d.detail !== undefined ? ` (${d.detail})` : ''}`];
      if (d.record !== undefined) {
        lines.push('record:');
        for (const [k, v] of Object.entries(d.record)) {
          const text = v instanceof Date ? v.toISOString() : Array.isArray(v) ? (v as unknown[]).join(', ') : String(v);
          lines.push(`  ${k}: ${text}`);
        }
      }
      lines.push(`claims (${d.claims.length}):`);
      for (const c of d.claims) lines.push(`  ${c.type} = ${c.value}`);
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    if (d.record !== undefined) return EXIT_OK;
    const by = 'certificate' in device ? 'certificate' : 'thumbprint' in device ? 'thumbprint' : 'device ID';
    io.stderr.write(`devicegate device: no device object matches the ${by}\n`);
    return EXIT_REJECTED;
  } finally {
    await engine.close();
  }
}

export const deviceCommand: Command = { name: 'device', summary: 'look a device up', help: HELP, run: runDevice };
