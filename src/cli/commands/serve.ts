import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { resolve } from 'node:path';
import { normalizeTextBytes, readTextFile } from '../../text/index.js';
import { openDirectory, openScanner } from '../../directory/index.js';
import { createDecisionEngine } from '../../policy/index.js';
import { AuditLog, buildServer, loggerOptions, parseApiTokens, ServerMetrics, type DevicegateServer } from '../../server/index.js';
import { openAuditSink, type AuditSinkHandle } from '../audit-sink.js';
import { parseCommandArgs } from '../args.js';
import { DIRECTORY_HELP, DIRECTORY_OPTIONS, directoryOptionsFromFlags, parseMs } from '../directory-flags.js';
import { LIMIT_CONFIG_KEYS, LIMIT_HELP, LIMIT_OPTIONS, limitsFromFlags, type LimitSettings } from '../limit-flags.js';
import { EXIT_OK, RejectedInputError, UnavailableError, UsageError, type CliIO, type Command } from '../io.js';
import { DEFAULT_DIRECTORY, DEFAULT_RULES_DIR } from '../package-root.js';
import { defaultPath } from '../directory-flags.js';

const HELP = `Usage: devicegate serve [options]

Runs the HTTP decision service (POST /v1/decisions, AuthZEN /access/v1/*, the AD FS attribute store
POST /v1/adfs/attribute-store/query, /docs, /metrics ...).

Options:
  --config F          JSON file with any of the settings below (camelCase keys; keys starting with
                      "//" are comments); flags win; see deploy/config.example.json
  --host H            listen address (default 127.0.0.1)
  --port P            listen port (default 8080; 0 picks a free one)
${DIRECTORY_HELP}
  --cache-ttl MS      how long a found device is answered from the cache (default 60000; 0 = no cache)
  --cache-negative-ttl MS
                      how long a not-found answer is cached (default 10000; 0 = not cached)
  --stale-if-error MS how long past its TTL a cached answer may stand in while every DC fails
                      (default 0: an outage never extends a permit)
  --change-poll MS    how often the directory is polled for changed/deleted devices, which are
                      dropped from the cache at once (default 1000; 0 = off, the TTL alone bounds it)
  --log-level L       fatal|error|warn|info|debug|trace|silent (default info)
  --tls-cert F        serve HTTPS with this certificate (PEM) ...
  --tls-key F         ... and this key
  --tls-client-ca F   request client certificates; ones signed by this CA get scope decide
  --body-limit BYTES  largest request body accepted (default 65536); larger ones are 413s
  --audit-log DEST    decision audit log, one JSON line per decision: stdout (default), stderr,
                      a file path (appended; reopened on SIGHUP for logrotate) or off
  --audit-sample R    write this fraction of decisions to the audit log, 0-1 (default 1; 0 = off)
  --watch             reload rules/ when a file under it changes (as SIGHUP does)
  --authzen-pdp URL   the AuthZEN policy_decision_point identifier in /.well-known/authzen-configuration
                      (default: the listen URL, e.g. http://127.0.0.1:8080)
${LIMIT_HELP}

Exit codes: 0 stopped by SIGINT/SIGTERM, 1 rejected input (config, rules, tokens, TLS files),
2 usage error, 69 cannot listen (address in use, no permission, no such address).

Callers authenticate with bearer tokens: DEVICEGATE_API_TOKENS is a comma-separated list of
"sha256:<hex>" (scope decide) or "admin:sha256:<hex>" (scope admin) hashes of the tokens.
Without it, one admin token is generated and printed once on stderr.
Entries may carry a name, "NAME=sha256:<hex>", shown in logs and the audit log instead of the token;
"devicegate token create --name N" makes a token and its entry.
SIGHUP reloads rules/ (a broken tree keeps the running revision and logs why) and reopens a file
audit log. SIGINT/SIGTERM stop accepting connections, finish in-flight requests, then exit.
The audit log never holds a token, password, certificate, SAML token or caller claim.
An AD FS farm's attribute store (integrations/adfs-attribute-store) should use mutual TLS:
--tls-client-ca naming a CA that issues only the AD FS nodes' client certificates.
Rules that call attribute stores devicegate cannot serve (_PasswordExpiryStore, SQL ...) are
warnings at start: their relying party skips those issuance rules, or denies if it needs them to decide.
`;

const OPTIONS = {
  ...DIRECTORY_OPTIONS,
  ...LIMIT_OPTIONS,
  config: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'log-level': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-client-ca': { type: 'string' },
  'body-limit': { type: 'string' },
  'audit-log': { type: 'string' },
  'audit-sample': { type: 'string' },
  watch: { type: 'boolean' },
  'authzen-pdp': { type: 'string' },
  'cache-ttl': { type: 'string' },
  'cache-negative-ttl': { type: 'string' },
  'stale-if-error': { type: 'string' },
  'change-poll': { type: 'string' },
} as const;

export interface ServeSettings {
  directory: string;
  rules: string;
  host: string;
  port: number;
  bindDn?: string;
  password?: string;
  baseDn?: string;
  caFile?: string;
  startTls?: boolean;
  tlsInsecure?: boolean;
  ldapTimeout?: string;
  ldapAttemptTimeout?: string;
  cacheTtl?: string;
  cacheNegativeTtl?: string;
  staleIfError?: string;
  changePoll?: string;
  logLevel: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  bodyLimit?: number;
  trustProxy?: string[];
  /** stdout, stderr, a file path, or off. */
  auditLog: string;
  /** Fraction of decisions audited (0 = off). */
  auditSample: number;
  watch?: boolean;
  authzenPdp?: string;
  /** Bounds on work, connections and timeouts (limit-flags.ts). */
  limits?: LimitSettings;
}

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
const CONFIG_KEYS = new Set<string>([
  ...LIMIT_CONFIG_KEYS,
  'directory', 'rules', 'host', 'port', 'bindDn', 'password', 'baseDn', 'caFile', 'startTls', 'tlsInsecure', 'ldapTimeout', 'logLevel', 'tlsCert', 'tlsKey', 'tlsClientCa', 'bodyLimit', 'trustProxy',
]);

// cache, change tracking and per-DC attempts (README "Directory changes, DC failures and the cache")
for (const key of ['ldapAttemptTimeout', 'cacheTtl', 'cacheNegativeTtl', 'staleIfError', 'changePoll']) CONFIG_KEYS.add(key);
// Settings added with the audit log, reload and AuthZEN metadata (kept apart from the list above).
for (const key of ['auditLog', 'auditSample', 'watch', 'authzenPdp']) CONFIG_KEYS.add(key);

/** Every setting a --config file may hold: deploy/config.example.json is checked against this list. */
export function serveConfigKeys(): readonly string[] {
  return [...CONFIG_KEYS];
}

/** A number setting from a flag (text) or the config file (number). */
function numberSetting(flag: string | undefined, value: unknown, name: string): number | undefined {
  if (flag !== undefined) {
    const n = Number(flag);
    if (flag.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${flag}"`);
    return n;
  }
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new RejectedInputError(`config: "${name}" must be a number`);
  return value;
}

async function readConfig(file: string, cwd: string): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readTextFile(resolve(cwd, file)));
  } catch (error) {
    throw new RejectedInputError(`${file}: cannot read JSON config (${error instanceof SyntaxError ? 'invalid JSON' : (error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new RejectedInputError(`${file}: config must be a JSON object`);
  // Keys starting with "//" are comments (as in package.json): deploy/config.example.json documents each setting so.
  const settings = Object.fromEntries(Object.entries(parsed).filter(([key]) => !key.startsWith('//')));
  for (const key of Object.keys(settings)) if (!CONFIG_KEYS.has(key)) throw new RejectedInputError(`${file}: unknown setting "${key}"`);
  return settings;
}

/** Flags > config file > environment > defaults. Exported for tests. */
export async function resolveServeSettings(argv: readonly string[], io: CliIO): Promise<ServeSettings> {
  const { values } = parseCommandArgs(argv, OPTIONS);
  const config = values.config !== undefined ? await readConfig(values.config, io.cwd) : {};
  const str = (flag: string | undefined, key: string): string | undefined => {
    if (flag !== undefined) return flag;
    const v = config[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' && typeof v !== 'number') throw new RejectedInputError(`config: "${key}" must be a string`);
    return String(v);
  };
  const portText = str(values.port, 'port') ?? '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new UsageError(`--port must be 0-65535, got "${portText}"`);
  const logLevel = str(values['log-level'], 'logLevel') ?? 'info';
  if (!LOG_LEVELS.has(logLevel)) throw new UsageError(`--log-level must be one of ${[...LOG_LEVELS].join(', ')}`);
  const settings: ServeSettings = {
    directory: str(values.directory, 'directory') ?? defaultPath(DEFAULT_DIRECTORY.slice('ldif:'.length), '--directory ldif:PATH or ldap[s]://HOST', DEFAULT_DIRECTORY),
    rules: str(values.rules, 'rules') ?? defaultPath(DEFAULT_RULES_DIR, '--rules DIR'),
    host: str(values.host, 'host') ?? '127.0.0.1',
    port,
    logLevel,
    auditLog: str(values['audit-log'], 'auditLog') ?? 'stdout',
    auditSample: numberSetting(values['audit-sample'], config.auditSample, 'audit-sample') ?? 1,
  };
  const optional: [keyof ServeSettings, string | undefined, string | undefined][] = [
    ['bindDn', values['bind-dn'], io.env.DEVICEGATE_LDAP_BIND_DN],
    ['password', values.password, io.env.DEVICEGATE_LDAP_PASSWORD],
    ['baseDn', values['base-dn'], undefined],
    ['caFile', values['ca-file'], undefined],
    ['ldapTimeout', values['ldap-timeout'], undefined],
    ['ldapAttemptTimeout', values['ldap-attempt-timeout'], undefined],
    ['cacheTtl', values['cache-ttl'], undefined],
    ['cacheNegativeTtl', values['cache-negative-ttl'], undefined],
    ['staleIfError', values['stale-if-error'], undefined],
    ['changePoll', values['change-poll'], undefined],
    ['tlsCert', values['tls-cert'], undefined],
    ['tlsKey', values['tls-key'], undefined],
    ['tlsClientCa', values['tls-client-ca'], undefined],
  ];
  for (const [key, flag, env] of optional) {
    const value = str(flag, key) ?? env;
    if (value !== undefined) (settings as unknown as Record<string, unknown>)[key] = value;
  }
  for (const [key, flag] of [['startTls', values['start-tls']], ['tlsInsecure', values['tls-insecure']]] as const) {
    const value = flag ?? config[key];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw new RejectedInputError(`config: "${key}" must be true or false`);
    settings[key] = value;
  }
  const bodyLimit = numberSetting(values['body-limit'], config.bodyLimit, 'body-limit');
  if (bodyLimit !== undefined) {
    if (!Number.isInteger(bodyLimit) || bodyLimit < 1024 || bodyLimit > 16 * 1024 * 1024) throw new UsageError('--body-limit (bodyLimit) must be a whole number of bytes, 1024-16777216');
    settings.bodyLimit = bodyLimit;
  }
  if (settings.auditSample < 0 || settings.auditSample > 1) throw new UsageError('--audit-sample (auditSample) must be between 0 and 1');
  const watch = values.watch ?? config.watch;
  if (watch !== undefined) {
    if (typeof watch !== 'boolean') throw new RejectedInputError('config: "watch" must be true or false');
    settings.watch = watch;
  }
  const pdp = str(values['authzen-pdp'], 'authzenPdp');
  if (pdp !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(pdp);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '') {
      throw new UsageError('--authzen-pdp (authzenPdp) must be an http(s) URL without query or fragment');
    }
    settings.authzenPdp = pdp;
  }
  const limits = limitsFromFlags(values, config);
  if (Object.keys(limits).length > 0) settings.limits = limits;
  if (Array.isArray(config.trustProxy)) settings.trustProxy = config.trustProxy.map(String);
  for (const [flag, key] of [['cache-ttl', 'cacheTtl'], ['cache-negative-ttl', 'cacheNegativeTtl'], ['stale-if-error', 'staleIfError'], ['change-poll', 'changePoll']] as const) {
    parseMs(flag, settings[key], true);
  }
  if ((settings.tlsCert === undefined) !== (settings.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  if (settings.tlsClientCa !== undefined && settings.tlsCert === undefined) throw new UsageError('--tls-client-ca needs --tls-cert and --tls-key');
  return settings;
}

async function readPem(file: string | undefined, cwd: string, flag: string): Promise<Buffer | undefined> {
  if (file === undefined) return undefined;
  try {
    return normalizeTextBytes(await readFile(resolve(cwd, file)));
  } catch (error) {
    throw new RejectedInputError(`${flag} ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

/** Resolves on the first SIGINT/SIGTERM (or when `stop` is called by an embedding test). */
function untilSignal(): { done: Promise<string>; dispose: () => void } {
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const done = new Promise<string>((resolveSignal) => {
    onSignal = (signal) => resolveSignal(signal);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  return {
    done,
    dispose: () => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    },
  };
}

const LISTEN_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the address is already in use (another devicegate or another service?); pick another --port or stop the other process',
  EACCES: 'no permission to listen there (ports below 1024 need privileges); pick a --port above 1023',
  EADDRNOTAVAIL: 'this machine has no such address; pass a --host it owns (or 0.0.0.0)',
  ENOTFOUND: 'the --host name does not resolve',
  EAI_AGAIN: 'the --host name does not resolve',
};

/** A failed listen as one line (exit 69): what went wrong and what to change. */
function listenError(error: unknown, settings: Pick<ServeSettings, 'host' | 'port'>): Error {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const hint = LISTEN_ERRORS[code];
  if (hint === undefined) return error as Error;
  return new UnavailableError(`cannot listen on ${settings.host}:${settings.port}: ${code}: ${hint}`);
}

/** TLS material Node cannot load (wrong PEM, key does not match) is the caller's input: exit 1, one line. */
function tlsLoadError(error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (code.startsWith('ERR_OSSL') || code.startsWith('ERR_SSL') || /PEM|key values mismatch|certificate/i.test((error as Error).message ?? '')) {
    return new RejectedInputError(`--tls-cert/--tls-key/--tls-client-ca: cannot be loaded (${code || (error as Error).message})`);
  }
  return error as Error;
}

export async function runServe(argv: readonly string[], io: CliIO): Promise<number> {
  const settings = await resolveServeSettings(argv, io);
  let tokens;
  try {
    tokens = parseApiTokens(io.env.DEVICEGATE_API_TOKENS);
  } catch (error) {
    throw new RejectedInputError((error as Error).message);
  }
  const [tlsCert, tlsKey, tlsClientCa] = await Promise.all([
    readPem(settings.tlsCert, io.cwd, '--tls-cert'),
    readPem(settings.tlsKey, io.cwd, '--tls-key'),
    readPem(settings.tlsClientCa, io.cwd, '--tls-client-ca'),
  ]);

  // Logs go to stderr: stdout carries only the "listening" line.
  const logger = pino(loggerOptions(settings.logLevel), pino.destination(2));
  const metrics = new ServerMetrics({ processMetrics: true });
  const directoryOptions = directoryOptionsFromFlags(
    {
      directory: settings.directory,
      'bind-dn': settings.bindDn,
      password: settings.password,
      'base-dn': settings.baseDn,
      'ca-file': settings.caFile,
      'start-tls': settings.startTls,
      'tls-insecure': settings.tlsInsecure,
      'ldap-timeout': settings.ldapTimeout,
      'ldap-attempt-timeout': settings.ldapAttemptTimeout,
    },
    io,
  );
  const changePollMs = parseMs('change-poll', settings.changePoll, true);
  const directory = await openDirectory({
    ...directoryOptions,
    ...(changePollMs !== undefined ? { changePollMs } : {}),
    logger: logger.child({ component: 'directory' }),
  });
  // At start, one probe of every DC: an unreachable DC or a refused bind is logged now, not at the first request.
  await directory.health().catch(() => undefined);
  const cacheTtl = parseMs('cache-ttl', settings.cacheTtl, true);
  const negativeTtl = parseMs('cache-negative-ttl', settings.cacheNegativeTtl, true);
  const staleIfError = parseMs('stale-if-error', settings.staleIfError, true);
  // GET /v1/users/{id}/whfb reads users and devices on a connection of its own (connects on first use).
  const whfbScanner = await openScanner(directoryOptions);
  const engine = await createDecisionEngine({
    rulesDir: resolve(io.cwd, settings.rules),
    directory: metrics.instrumentDirectory(directory),
    logger,
    ...(settings.watch === true ? { watch: true } : {}),
    cache: {
      ...(cacheTtl !== undefined ? { ttlMs: cacheTtl } : {}),
      ...(negativeTtl !== undefined ? { negativeTtlMs: negativeTtl } : {}),
      ...(staleIfError !== undefined ? { staleIfErrorMs: staleIfError } : {}),
    },
  }).catch(async (error: unknown) => {
    await directory.close().catch(() => undefined);
    throw error;
  });

  let auditSink: AuditSinkHandle | undefined;
  if (settings.auditLog !== 'off' && settings.auditSample > 0) {
    auditSink = await openAuditSink(settings.auditLog, io.cwd).catch(async (error: unknown) => {
      await engine.close().catch(() => undefined);
      await directory.close().catch(() => undefined);
      throw error;
    });
  }
  const audit = auditSink ? new AuditLog({ sink: auditSink, sampleRate: settings.auditSample }) : undefined;

  // SIGHUP (systemctl reload): reload rules/, keep the running revision when the tree is broken; reopen a file audit log.
  const onHangup = (): void => {
    auditSink?.reopen();
    const before = engine.revision;
    engine.reload().then(
      (r) => logger.info({ revision: r.revision, changed: r.changed }, r.changed ? `SIGHUP: rules reloaded, revision ${before} -> ${r.revision}` : `SIGHUP: rules unchanged, revision ${r.revision}`),
      (error: unknown) =>
        logger.error(
          { revision: engine.revision, diagnostics: (error as { diagnostics?: readonly string[] }).diagnostics ?? [] },
          `SIGHUP: rules reload failed, keeping revision ${engine.revision}: ${(error as Error).message}`,
        ),
    );
  };
  process.on('SIGHUP', onHangup);

  const signals = untilSignal();
  let app: DevicegateServer | undefined;
  try {
    app = await buildServer({
      engine,
      logger,
      auth: {
        tokens,
        mtls: tlsClientCa !== undefined,
        onGeneratedToken: (token) => io.stderr.write(`devicegate serve: no DEVICEGATE_API_TOKENS set; generated admin token (shown once): ${token}\n`),
      },
      ...(tlsCert && tlsKey ? { tls: { cert: tlsCert, key: tlsKey, ...(tlsClientCa ? { clientCa: tlsClientCa } : {}) } } : {}),
      limits: { ...settings.limits, ...(settings.bodyLimit !== undefined ? { bodyLimit: settings.bodyLimit } : {}) },
      metrics,
      metricsSources: { directory, cache: () => ({ ...engine.directory.counters, size: engine.directory.size }) },
      ...(settings.trustProxy ? { trustProxy: settings.trustProxy } : {}),
      ...(audit ? { audit } : {}),
      ...(settings.authzenPdp !== undefined ? { policyDecisionPoint: settings.authzenPdp } : {}),
      whfbScanner,
    });
    app.addHook('onClose', async () => {
      await directory.close();
      await whfbScanner.close();
      await auditSink?.close();
    });
    const address = await app.listen({ host: settings.host, port: settings.port }).catch((error: unknown) => {
      throw listenError(error, settings);
    });
    io.stdout.write(`devicegate listening on ${address} (directory ${directory.description}; policy revision ${engine.revision})\n`);
    const signal = await signals.done;
    app.log.info({ signal }, 'shutting down');
    await app.close();
    return EXIT_OK;
  } catch (error) {
    if (app) await app.close().catch(() => undefined);
    else await engine.close().catch(() => undefined);
    throw app ? error : tlsLoadError(error);
  } finally {
    signals.dispose();
    process.removeListener('SIGHUP', onHangup);
    if (!app) await auditSink?.close().catch(() => undefined);
  }
}

export const serveCommand: Command = { name: 'serve', summary: 'run the HTTP decision service', help: HELP, run: runServe };
