import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseDeviceCertificate, isCertificateError, type DeviceCertificate } from '../../certificate/index.js';
import { normalizeTextBytes } from '../../text/index.js';
import { parseCommandArgs } from '../args.js';
import { EXIT_OK, RejectedInputError, UsageError, type CliIO, type Command } from '../io.js';

const MAX_FILE_BYTES = 1024 * 1024;

const HELP = `Usage: devicegate cert key FILE [--json]

Prints the altSecurityIdentities value AD holds for a device certificate:
  X509:<SHA1-TP-PUBKEY> + SHA-1 thumbprint (40 upper-case hex) + Base64(SHA-256(PKCS#1 public key))

FILE is a PEM (text before the BEGIN line is ignored), DER or base64-DER certificate; "-" reads stdin.

Options:
  --json   print { key, thumbprint, publicKeyHash, deviceId?, subject, issuer, notBefore, notAfter }
  --help   this text

Exit codes: 0 printed, 1 unreadable file or not an RSA device certificate, 2 usage error.
`;

async function readInput(file: string, io: CliIO): Promise<Buffer> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of io.stdin) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      size += b.length;
      if (size > MAX_FILE_BYTES) throw new RejectedInputError('stdin: larger than 1 MiB, not a certificate');
      chunks.push(b);
    }
    return normalizeTextBytes(Buffer.concat(chunks));
  }
  const path = resolve(io.cwd, file);
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw new RejectedInputError(`${file}: is a directory, not a certificate file`);
    if (s.size > MAX_FILE_BYTES) throw new RejectedInputError(`${file}: larger than 1 MiB, not a certificate`);
    return normalizeTextBytes(await readFile(path));
  } catch (error) {
    if (error instanceof RejectedInputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : `cannot read (${code ?? 'error'})`;
    throw new RejectedInputError(`${file}: ${why}`);
  }
}

function describe(cert: DeviceCertificate): Record<string, string> {
  return {
    key: cert.altSecurityIdentity,
    thumbprint: cert.thumbprint,
    publicKeyHash: cert.publicKeyHash,
    ...(cert.deviceIdExtension !== undefined && { deviceId: cert.deviceIdExtension }),
    subject: cert.subject,
    issuer: cert.issuer,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
  };
}

export const certKeyCommand: Command = {
  name: 'cert key',
  summary: 'print the altSecurityIdentities value of a device certificate',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' } }, true);
    if (positionals.length !== 1) {
      throw new UsageError(positionals.length === 0 ? 'missing FILE (a PEM or DER certificate)' : `expected one FILE, got ${positionals.length}`);
    }
    const file = positionals[0]!;
    const bytes = await readInput(file, io);
    let cert: DeviceCertificate;
    try {
      cert = parseDeviceCertificate(bytes);
    } catch (error) {
      if (isCertificateError(error)) throw new RejectedInputError(`${file}: ${error.message}`);
      throw error;
    }
    io.stdout.write(values.json ? `${JSON.stringify(describe(cert), null, 2)}\n` : `${cert.altSecurityIdentity}\n`);
    return EXIT_OK;
  },
};
