import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { resolve } from 'node:path';
import { openDirectory } from '../../directory/index.js';
import { createDecisionEngine } from '../../policy/index.js';
import { buildServer, loggerOptions, parseApiTokens, ServerMetrics, type DevicegateServer } from '../../server/index.js';
import { parseCommandArgs } from '../args.js';
import { DIRECTORY_HELP, DIRECTORY_OPTIONS, directoryOptionsFromFlags, parseMs } from '../directory-flags.js';
import { EXIT_OK, RejectedInputError, UsageError, type CliIO, type Command } from '../io.js';

const HELP = `Usage: devicegate serve [options]

Runs the HTTP decision service (POST /v1/decisions, AuthZEN /access/v1/*, /docs, /metrics ...).

Options:
  --config F          JSON file with any of the settings below (camelCase keys); flags win
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

Callers authenticate with bearer tokens: DEVICEGATE_API_TOKENS is a comma-separated list of
"sha256:<hex>" (scope decide) or "admin:sha256:<hex>" (scope admin) hashes of the tokens.
Without it, one admin token is generated and printed once on stderr.
SIGINT/SIGTERM stop accepting connections, finish in-flight requests, then exit.
`;

const OPTIONS = {
  ...DIRECTORY_OPTIONS,
  config: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'log-level': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-client-ca': { type: 'string' },
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
}

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
const CONFIG_KEYS = new Set([
  'directory', 'rules', 'host', 'port', 'bindDn', 'password', 'baseDn', 'caFile', 'startTls', 'tlsInsecure', 'ldapTimeout', 'logLevel', 'tlsCert', 'tlsKey', 'tlsClientCa', 'bodyLimit', 'trustProxy',
  // cache, change tracking and per-DC attempts (README "Directory changes, DC failures and the cache")
  'ldapAttemptTimeout', 'cacheTtl', 'cacheNegativeTtl', 'staleIfError', 'changePoll',
]);

async function readConfig(file: string, cwd: string): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(resolve(cwd, file), 'utf8'));
  } catch (error) {
    throw new RejectedInputError(`${file}: cannot read JSON config (${error instanceof SyntaxError ? 'invalid JSON' : (error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new RejectedInputError(`${file}: config must be a JSON object`);
  for (const key of Object.keys(parsed)) if (!CONFIG_KEYS.has(key)) throw new RejectedInputError(`${file}: unknown setting "${key}"`);
  return parsed as Record<string, unknown>;
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
    directory: str(values.directory, 'directory') ?? 'ldif:fixtures/contoso.ldif',
    rules: str(values.rules, 'rules') ?? 'rules',
    host: str(values.host, 'host') ?? '127.0.0.1',
    port,
    logLevel,
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
  if (typeof config.bodyLimit === 'number') settings.bodyLimit = config.bodyLimit;
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
    return await readFile(resolve(cwd, file));
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
  const changePollMs = parseMs('change-poll', settings.changePoll, true);
  const directory = await openDirectory({
    ...directoryOptionsFromFlags(
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
    ),
    ...(changePollMs !== undefined ? { changePollMs } : {}),
    logger: logger.child({ component: 'directory' }),
  });
  // At start, one probe of every DC: an unreachable DC or a refused bind is logged now, not at the first request.
  await directory.health().catch(() => undefined);
  const cacheTtl = parseMs('cache-ttl', settings.cacheTtl, true);
  const negativeTtl = parseMs('cache-negative-ttl', settings.cacheNegativeTtl, true);
  const staleIfError = parseMs('stale-if-error', settings.staleIfError, true);
  const engine = await createDecisionEngine({
    rulesDir: resolve(io.cwd, settings.rules),
    directory: metrics.instrumentDirectory(directory),
    logger,
    cache: {
      ...(cacheTtl !== undefined ? { ttlMs: cacheTtl } : {}),
      ...(negativeTtl !== undefined ? { negativeTtlMs: negativeTtl } : {}),
      ...(staleIfError !== undefined ? { staleIfErrorMs: staleIfError } : {}),
    },
  }).catch(async (error: unknown) => {
    await directory.close().catch(() => undefined);
    throw error;
  });

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
      limits: settings.bodyLimit !== undefined ? { bodyLimit: settings.bodyLimit } : {},
      metrics,
      metricsSources: { directory, cache: () => ({ ...engine.directory.counters, size: engine.directory.size }) },
      ...(settings.trustProxy ? { trustProxy: settings.trustProxy } : {}),
    });
    app.addHook('onClose', async () => {
      await directory.close();
    });
    const address = await app.listen({ host: settings.host, port: settings.port });
    io.stdout.write(`devicegate listening on ${address} (directory ${directory.description}; policy revision ${engine.revision})\n`);
    const signal = await signals.done;
    app.log.info({ signal }, 'shutting down');
    await app.close();
    return EXIT_OK;
  } catch (error) {
    if (app) await app.close().catch(() => undefined);
    else await engine.close().catch(() => undefined);
    throw error;
  } finally {
    signals.dispose();
  }
}

export const serveCommand: Command = { name: 'serve', summary: 'run the HTTP decision service', help: HELP, run: runServe };
