import { readFile } from 'node:fs/promises';
import { normalizeTextBytes } from '../text/index.js';
import { resolve } from 'node:path';
import type { DeviceDirectory } from './device-record.js';
import type { DirectoryLogger } from './directory-logger.js';
import { DirectoryError } from './errors.js';
import { LdapDirectory } from './ldap-directory.js';
import { openLdifDirectory } from './ldif-directory.js';

/** The embedded default (design.md "CLI (binding)"). */
export const DEFAULT_DIRECTORY_URL = 'ldif:fixtures/contoso.ldif';

export interface DirectoryOptions {
  /** `ldif:PATH`, `ldap://h[:p][,ldap://h2...]` or `ldaps://...` */
  readonly url: string;
  readonly bindDn?: string;
  readonly password?: string;
  /** Domain DN; default from the RootDSE. Devices are read from CN=RegisteredDevices,<domain DN>. */
  readonly baseDn?: string;
  /** PEM CA certificate(s) trusted for ldaps:// and StartTLS. */
  readonly caFile?: string;
  readonly startTls?: boolean;
  /** Skip TLS certificate checks (tests, labs). Off by default. */
  readonly tlsInsecure?: boolean;
  /** Per-operation budget, all DCs included (default 5000). */
  readonly timeoutMs?: number;
  /** Connections per DC (default 2). */
  readonly poolSize?: number;
  /** Keep-alive probe interval for idle connections (default 300000; AD drops idle ones after 900 s). */
  readonly keepAliveMs?: number;
  /** Budget of one attempt on one DC, ms (default min(2000, timeoutMs)). */
  readonly attemptTimeoutMs?: number;
  /** Change-tracking poll interval, ms (default 1000; 0 = off). */
  readonly changePollMs?: number;
  /** Where DC down/up, bind failures and change tracking are logged (default: nowhere). */
  readonly logger?: DirectoryLogger;
  /** Base for relative ldif: paths and caFile. */
  readonly cwd?: string;
}

/** `--bind-dn` / `--password` from DEVICEGATE_LDAP_BIND_DN / DEVICEGATE_LDAP_PASSWORD. */
export function directoryOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): Pick<DirectoryOptions, 'bindDn' | 'password'> {
  const out: { bindDn?: string; password?: string } = {};
  if (env.DEVICEGATE_LDAP_BIND_DN) out.bindDn = env.DEVICEGATE_LDAP_BIND_DN;
  if (env.DEVICEGATE_LDAP_PASSWORD !== undefined && env.DEVICEGATE_LDAP_PASSWORD !== '') out.password = env.DEVICEGATE_LDAP_PASSWORD;
  return out;
}

const config = (message: string, field: string) => new DirectoryError('DG_ERR_DIRECTORY_CONFIG', message, field);

/** Split and check `ldap://a,ldap://b` (each a host and optional port, nothing else). */
export function parseLdapUrls(url: string): string[] {
  const urls = url.split(',').map((u) => u.trim()).filter((u) => u !== '');
  if (urls.length === 0) throw config('directory URL is empty', 'url');
  return urls.map((u) => {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      throw config(`directory URL "${u}" is not a valid ldap:// or ldaps:// URL`, 'url');
    }
    const scheme = parsed.protocol.toLowerCase();
    if (scheme !== 'ldap:' && scheme !== 'ldaps:') throw config(`directory URL "${u}" must start with ldap:// or ldaps://`, 'url');
    if (!parsed.hostname) throw config(`directory URL "${u}" has no host`, 'url');
    if (parsed.username || parsed.password) throw config('put credentials in --bind-dn/--password, not in the directory URL', 'url');
    if ((parsed.pathname && parsed.pathname !== '/') || parsed.search) throw config(`directory URL "${u}" must be only scheme://host[:port]; use --base-dn for the base`, 'url');
    return `${scheme}//${parsed.host}`;
  });
}

/** What an LDAP connection needs, checked: the DC URLs, credentials, TLS and the per-operation budget. */
export interface LdapConnectionSettings {
  readonly urls: readonly string[];
  readonly bindDn?: string;
  readonly password?: string;
  readonly baseDn?: string;
  readonly tls: { readonly ca?: readonly Buffer[]; readonly rejectUnauthorized: boolean };
  readonly startTls: boolean;
  readonly timeoutMs: number;
}

/** Checks the ldap[s]:// options (DG_ERR_DIRECTORY_CONFIG naming the field) and reads the CA file. */
export async function ldapConnectionSettings(options: DirectoryOptions): Promise<LdapConnectionSettings> {
  const cwd = options.cwd ?? process.cwd();
  const url = options.url.trim();
  if (!/^ldaps?:\/\//i.test(url)) throw config(`directory "${url.slice(0, 60)}" must be ldif:PATH, ldap://host or ldaps://host`, 'url');
  const urls = parseLdapUrls(url);
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw config('timeout must be a positive number of milliseconds', 'timeoutMs');
  if (options.password !== undefined && options.bindDn === undefined) throw config('a password needs --bind-dn', 'bindDn');
  if (options.bindDn !== undefined && !options.password) throw config(`no password for ${options.bindDn} (--password or DEVICEGATE_LDAP_PASSWORD)`, 'password');
  const secure = options.startTls === true || urls.some((u) => u.startsWith('ldaps:'));
  if (options.startTls && urls.some((u) => u.startsWith('ldaps:'))) throw config('StartTLS is for ldap:// URLs; ldaps:// is already TLS', 'startTls');
  if (options.caFile !== undefined && !secure) throw config('--ca-file needs ldaps:// or StartTLS', 'caFile');
  let ca: Buffer[] | undefined;
  if (options.caFile !== undefined) {
    try {
      ca = [normalizeTextBytes(await readFile(resolve(cwd, options.caFile)))];
    } catch (error) {
      throw config(`${options.caFile}: cannot read the CA file (${(error as NodeJS.ErrnoException).code ?? 'read error'})`, 'caFile');
    }
  }
  return {
    urls,
    ...(options.bindDn !== undefined ? { bindDn: options.bindDn } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(options.baseDn !== undefined ? { baseDn: options.baseDn } : {}),
    tls: { ...(ca ? { ca } : {}), rejectUnauthorized: options.tlsInsecure !== true },
    startTls: options.startTls === true,
    timeoutMs,
  };
}

/** Open the directory a URL names. Errors are DirectoryError (DG_ERR_DIRECTORY_CONFIG for bad options). */
export async function openDirectory(options: DirectoryOptions): Promise<DeviceDirectory> {
  const cwd = options.cwd ?? process.cwd();
  const url = options.url.trim();
  if (url.toLowerCase().startsWith('ldif:')) {
    const path = url.slice(5);
    if (path === '') throw config('ldif: needs a file path, e.g. ldif:fixtures/contoso.ldif', 'url');
    return openLdifDirectory(path, cwd);
  }
  const settings = await ldapConnectionSettings(options);
  const timeoutMs = settings.timeoutMs;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? Math.min(2000, timeoutMs);
  if (!Number.isFinite(attemptTimeoutMs) || attemptTimeoutMs <= 0) throw config('attempt timeout must be a positive number of milliseconds', 'attemptTimeoutMs');
  if (attemptTimeoutMs > timeoutMs) throw config(`the per-DC attempt timeout (${attemptTimeoutMs} ms) cannot exceed the LDAP budget (${timeoutMs} ms)`, 'attemptTimeoutMs');
  const changePollMs = options.changePollMs ?? 1000;
  if (!Number.isInteger(changePollMs) || changePollMs < 0) throw config('change-poll interval must be a whole number of milliseconds (0 = off)', 'changePollMs');
  const poolSize = options.poolSize ?? 2;
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 64) throw config('pool size must be an integer from 1 to 64', 'poolSize');
  return new LdapDirectory({
    ...settings,
    poolSize,
    keepAliveMs: options.keepAliveMs ?? 300_000,
    attemptTimeoutMs,
    changePollMs,
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
