import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { DEFAULT_DIRECTORY_URL, directoryOptionsFromEnv, type DirectoryOptions } from '../directory/index.js';
import { RejectedInputError, UsageError, type CliIO } from './io.js';
import { DEFAULT_DIRECTORY, DEFAULT_RULES_DIR } from './package-root.js';

/** How to bind to the DCs: shared by every command that opens a directory (loadtest's ldap target too). */
export const LDAP_CONNECTION_OPTIONS = {
  'bind-dn': { type: 'string' },
  password: { type: 'string' },
  'base-dn': { type: 'string' },
  'ca-file': { type: 'string' },
  'start-tls': { type: 'boolean' },
  'tls-insecure': { type: 'boolean' },
} as const;

/** The directory flags every command that looks devices up shares (design.md "CLI (binding)"). */
export const DIRECTORY_OPTIONS = {
  directory: { type: 'string' },
  rules: { type: 'string' },
  ...LDAP_CONNECTION_OPTIONS,
  'ldap-timeout': { type: 'string' },
  'ldap-attempt-timeout': { type: 'string' },
} as const;

export const DIRECTORY_HELP = `  --rules DIR         rules/ directory (default: the package's sample rules/)
  --directory D       ldif:PATH or ldap[s]://host[:port][,...] (default: the package's ${DEFAULT_DIRECTORY_URL})
  --bind-dn DN        LDAP bind DN (or DEVICEGATE_LDAP_BIND_DN)
  --password PW       LDAP bind password (or DEVICEGATE_LDAP_PASSWORD)
  --base-dn DN        domain DN; devices under CN=RegisteredDevices,<it> (default: from the RootDSE)
  --ca-file F         CA certificates (PEM) trusted for ldaps:// and --start-tls
  --start-tls         upgrade ldap:// connections with StartTLS
  --tls-insecure      do not check the DC's TLS certificate (labs only)
  --ldap-timeout MS   budget per LDAP operation, all DCs included (default 5000)
  --ldap-attempt-timeout MS
                      budget of one attempt on one DC; a DC that misses it is taken out of
                      rotation and probed in the background (default 2000, at most --ldap-timeout)`;

/** Values of DIRECTORY_OPTIONS as parseArgs returns them (or as a --config file gives them). */
export interface DirectoryFlags {
  readonly directory?: string | undefined;
  readonly 'bind-dn'?: string | undefined;
  readonly password?: string | undefined;
  readonly 'base-dn'?: string | undefined;
  readonly 'ca-file'?: string | undefined;
  readonly 'start-tls'?: boolean | undefined;
  readonly 'tls-insecure'?: boolean | undefined;
  readonly 'ldap-timeout'?: string | undefined;
  readonly 'ldap-attempt-timeout'?: string | undefined;
}

/** A flag holding whole milliseconds (0 allowed when `zero`). */
export function parseMs(flag: string, text: string | undefined, zero: boolean): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || (!zero && value <= 0)) throw new UsageError(`--${flag} must be a ${zero ? 'whole' : 'positive'} number of milliseconds, got "${text}"`);
  return value;
}

/** Flags (then DEVICEGATE_LDAP_* from the environment) to openDirectory options; paths relative to cwd. */
export function directoryOptionsFromFlags(flags: DirectoryFlags, io: Pick<CliIO, 'env' | 'cwd'>): DirectoryOptions {
  const env = directoryOptionsFromEnv(io.env);
  const bindDn = flags['bind-dn'] ?? env.bindDn;
  const password = flags.password ?? env.password;
  let timeoutMs: number | undefined;
  if (flags['ldap-timeout'] !== undefined) {
    timeoutMs = Number(flags['ldap-timeout']);
    if (!/^\d+$/.test(flags['ldap-timeout']) || timeoutMs <= 0) throw new UsageError(`--ldap-timeout must be a positive number of milliseconds, got "${flags['ldap-timeout']}"`);
  }
  const attemptTimeoutMs = parseMs('ldap-attempt-timeout', flags['ldap-attempt-timeout'], false);
  if (attemptTimeoutMs !== undefined && attemptTimeoutMs > (timeoutMs ?? 5000)) throw new UsageError(`--ldap-attempt-timeout (${attemptTimeoutMs}) cannot exceed --ldap-timeout (${timeoutMs ?? 5000})`);
  return {
    url: flags.directory ?? defaultPath(DEFAULT_DIRECTORY.slice('ldif:'.length), '--directory ldif:PATH or ldap[s]://HOST', DEFAULT_DIRECTORY),
    cwd: io.cwd,
    ...(bindDn !== undefined ? { bindDn } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(flags['base-dn'] !== undefined ? { baseDn: flags['base-dn'] } : {}),
    ...(flags['ca-file'] !== undefined ? { caFile: flags['ca-file'] } : {}),
    ...(flags['start-tls'] === true ? { startTls: true } : {}),
    ...(flags['tls-insecure'] === true ? { tlsInsecure: true } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(attemptTimeoutMs !== undefined ? { attemptTimeoutMs } : {}),
  };
}

/**
 * A default that lives in the package folder (rules/, fixtures/contoso.ldif), checked so that a
 * package installed without its samples fails with one line that says what to pass.
 */
export function defaultPath(path: string, flag: string, value: string = path): string {
  if (!existsSync(path)) throw new RejectedInputError(`the default ${path} is not there (package installed without its samples?); pass ${flag}`);
  return value;
}

/** --rules, relative to the working directory, or the package's sample rules/. */
export function rulesDirFromFlag(rules: string | undefined, cwd: string): string {
  return rules !== undefined ? resolvePath(cwd, rules) : defaultPath(DEFAULT_RULES_DIR, '--rules DIR');
}
