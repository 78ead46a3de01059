import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { DirectoryScanner } from '../directory/index.js';
import type { DecisionEngine } from '../policy/index.js';
import { generateToken, hashToken, type ApiToken } from './api-tokens.js';
import { authPlugin } from './auth-plugin.js';
import { backPressurePlugin } from './back-pressure-plugin.js';
import { errorHandlingPlugin } from './error-handling-plugin.js';
import { lazyChildLoggerFactory } from './lazy-child-logger.js';
import { loggerOptions } from './logger-options.js';
import { rateLimitPlugin, type RateLimitOptions } from './rate-limit-plugin.js';
import { adfsStoreRoute } from './routes/adfs-store-route.js';
import { adminRoutes } from './routes/admin-routes.js';
import { authzenRoutes } from './routes/authzen-routes.js';
import { decisionsRoute } from './routes/decisions-route.js';
import { deviceRoutes } from './routes/device-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { whfbRoutes } from './routes/whfb-routes.js';
import { ServerMetrics, type MetricsSources } from './server-metrics.js';
import { answerExpectContinue } from './expect-continue.js';
import { closeSilentConnections } from './silent-connections.js';
import { ReadinessCache } from './readiness-cache.js';
import { WorkGate } from './work-gate.js';
import type { AuditLog } from './audit-log.js';

export interface ServerLimits {
  /** Request body limit in bytes (default 64 KiB): larger bodies are 413s. */
  readonly bodyLimit?: number;
  /** Back-pressure thresholds; 0 disables one. Over a threshold: 503 + Retry-After (not /healthz, /metrics). */
  readonly maxEventLoopDelayMs?: number;
  readonly maxEventLoopUtilization?: number;
  readonly maxHeapUsedBytes?: number;
  readonly retryAfterSeconds?: number;
  /** Per-caller fixed-window rate limit (429 + Retry-After); off unless set. */
  readonly rateLimit?: RateLimitOptions;
  /**
   * Decisions (and device look-ups) in flight, directory waits included; past it, 503 + Retry-After at
   * once (default DEFAULT_MAX_IN_FLIGHT; 0 disables). See README "Bounded work".
   */
  readonly maxInFlight?: number;
  /** Open connections; further ones are closed on accept (default 1024; 0 disables). */
  readonly maxConnections?: number;
  /** Whole request (headers and body) must arrive within this, else 408 and close (default 10 000 ms). */
  readonly requestTimeoutMs?: number;
  /** Headers must arrive within this (default 5 000 ms, at most requestTimeoutMs); a connection that sends nothing is closed after it too. */
  readonly headersTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this (default 5 000 ms). */
  readonly keepAliveTimeoutMs?: number;
  /** How often /readyz's state is refreshed (default 1 000 ms): the DCs see at most one probe per interval. */
  readonly readinessIntervalMs?: number;
}

/** Chosen from bench/attack's measurements (README "Bounded work"). */
export const DEFAULT_MAX_IN_FLIGHT = 256;
export const DEFAULT_MAX_CONNECTIONS = 1024;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 5_000;
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
export const DEFAULT_MAX_EVENT_LOOP_DELAY_MS = 1000;

export interface BuildServerOptions {
  readonly engine: DecisionEngine;
  /** A pino-compatible logger; otherwise one is made at `logLevel` (default "silent") with secrets redacted. */
  readonly logger?: FastifyBaseLogger;
  readonly logLevel?: string;
  readonly auth?: {
    /** Configured callers (see parseApiTokens). Empty or absent: one admin token is generated. */
    readonly tokens?: readonly ApiToken[];
    /** Accept verified client certificates as scope decide (needs `tls` with `clientCa`). */
    readonly mtls?: boolean;
    /** Receives the generated token, once. Default: written to stderr. Never logged. */
    readonly onGeneratedToken?: (token: string) => void;
  };
  /** PEM material for HTTPS; with clientCa, client certificates are requested and verified. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer; readonly clientCa?: string | Buffer };
  readonly limits?: ServerLimits;
  /** Pass one made earlier to time directory look-ups (instrumentDirectory); otherwise a new one. */
  readonly metrics?: ServerMetrics;
  readonly metricsSources?: MetricsSources;
  /** Fastify trustProxy: an explicit allow-list of proxy addresses, never `true` by default. */
  readonly trustProxy?: string | readonly string[];
  /** Close the engine when the app closes (default true). */
  readonly closeEngine?: boolean;
  /** Serve /docs (default true). */
  readonly docs?: boolean;
  /** Enables GET /v1/users/{id}/whfb (admin scope): WHfB prerequisites read through this scanner. */
  readonly whfbScanner?: DirectoryScanner;
  /** The decision audit log (one JSON line per decision); absent: none. `serve` makes one by default. */
  readonly audit?: AuditLog;
  /** AuthZEN `policy_decision_point` (and the base of its endpoint URLs); default: derived from the listen address. */
  readonly policyDecisionPoint?: string;
}

/** A caller's X-Request-ID names the request in logs and the audit log when it is a sane length; else our own id. */
const MAX_REQUEST_ID = 200;

export type DevicegateServer = FastifyInstance;

const AJV_UNICODE_DEPRECATION = 'DEPRECATED: option unicode';
/** Ajv's console logger, without its one warning about the `unicode` option chosen in buildServer. */
const AJV_LOGGER = {
  log: (...args: unknown[]): void => console.log(...args),
  warn: (...args: unknown[]): void => {
    if (typeof args[0] === 'string' && args[0].startsWith(AJV_UNICODE_DEPRECATION)) return;
    console.warn(...args);
  },
  error: (...args: unknown[]): void => console.error(...args),
};

const LEVEL_VALUES: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/** The app factory: every call makes an independent app (own registry, tokens, engine hook). */
export async function buildServer(options: BuildServerOptions): Promise<DevicegateServer> {
  const limits = options.limits ?? {};
  const metrics = options.metrics ?? new ServerMetrics();

  let tokens = options.auth?.tokens ?? [];
  if (tokens.length === 0) {
    const token = generateToken();
    tokens = [{ sha256: hashToken(token), scope: 'admin', name: 'generated-admin' }];
    (options.auth?.onGeneratedToken ?? ((t: string) => process.stderr.write(`devicegate: no DEVICEGATE_API_TOKENS set; generated admin token (shown once): ${t}\n`)))(token);
  }

  const tls = options.tls;
  const bodyLimit = limits.bodyLimit ?? 64 * 1024;
  const requestTimeoutMs = limits.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const log: FastifyBaseLogger = options.logger ?? pino(loggerOptions(options.logLevel ?? 'silent'));
  // Fastify's per-request logging (and the response listeners it sets up on every request, whatever the
  // level) only when its info lines can be printed; otherwise our few log lines go straight to `log`.
  const requestLogging = (LEVEL_VALUES[log.level] ?? 30) <= 30;
  const app = Fastify({
    ...(requestLogging ? { loggerInstance: log, childLoggerFactory: lazyChildLoggerFactory } : { logger: false }),
    ...(tls
      ? {
          https: {
            cert: tls.cert,
            key: tls.key,
            ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: false } : {}),
            minVersion: 'TLSv1.2' as const,
          },
        }
      : {}),
    bodyLimit,
    // Fastify's defaults are no request timeout and 72 s keep-alive: a body sent one byte at a time
    // held its connection forever.
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    trustProxy: typeof options.trustProxy === 'string' ? options.trustProxy : options.trustProxy ? [...options.trustProxy] : false,
    return503OnClosing: true,
    requestIdHeader: false,
    genReqId: (() => {
      let next = 0;
      return (req: { headers: Record<string, string | string[] | undefined> }): string => {
        const given = req.headers['x-request-id'];
        if (typeof given === 'string' && given.length > 0 && given.length <= MAX_REQUEST_ID) return given;
        return `req-${(next++).toString(36)}`;
      };
    })(),
    ajv: {
      customOptions: {
        removeAdditional: false,
        coerceTypes: false,
        allErrors: false,
        useDefaults: false,
        // minLength/maxLength in UTF-16 code units: O(1) per string instead of a walk over every
        // character (3 µs per certificate presentation, bench/http). For maxLength, a limit that
        // bounds work, the code-unit count is the stricter one; Ajv calls the option deprecated.
        unicode: false,
        logger: AJV_LOGGER,
      },
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as FastifyInstance;

  const server = app.server;
  // Node checks request/headers timeouts on this interval (default 30 s, so a 10 s timeout fired late).
  Object.assign(server, { connectionsCheckingInterval: Math.max(250, Math.min(1000, Math.floor(requestTimeoutMs / 4) || 1000)) });
  const headersTimeoutMs = limits.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  server.headersTimeout = requestTimeoutMs > 0 && headersTimeoutMs > 0 ? Math.min(headersTimeoutMs, requestTimeoutMs) : headersTimeoutMs;
  const maxConnections = limits.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  if (maxConnections > 0) server.maxConnections = maxConnections;
  answerExpectContinue(server, bodyLimit);
  // A connection that never sends a byte is closed after the headers timeout too.
  closeSilentConnections(server, server.headersTimeout, tls !== undefined);

  const retryAfterSeconds = limits.retryAfterSeconds ?? 5;
  const gate = new WorkGate(limits.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, retryAfterSeconds);
  metrics.attachWorkGate(gate);
  const readiness = new ReadinessCache(options.engine, log, limits.readinessIntervalMs ?? 1000);
  const sources = options.metricsSources;
  if (sources) {
    // The LDAP gauges read the readiness probe's last result: a public scrape must not probe the DCs.
    const directory = sources.directory;
    metrics.attachSources(
      directory
        ? { ...sources, directory: { get stats() { return directory.stats; }, health: async () => (await readiness.directoryHealth()) ?? directory.health() } }
        : sources,
    );
  }

  // JSON only: without the text/plain parser, other media types are 415s.
  app.removeContentTypeParser(['text/plain']);

  await app.register(errorHandlingPlugin, { metrics, log });
  await app.register(authPlugin, { tokens, mtls: options.auth?.mtls === true && tls?.clientCa !== undefined });
  // After auth: its per-route check goes in front of auth's.
  await app.register(backPressurePlugin, {
    maxEventLoopDelayMs: limits.maxEventLoopDelayMs ?? DEFAULT_MAX_EVENT_LOOP_DELAY_MS,
    maxEventLoopUtilization: limits.maxEventLoopUtilization ?? 0,
    maxHeapUsedBytes: limits.maxHeapUsedBytes ?? 0,
    retryAfterSeconds,
    gate,
    log,
  });
  if (limits.rateLimit) await app.register(rateLimitPlugin, limits.rateLimit);

  if (options.docs !== false) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'devicegate', version: '0.1.0', description: 'Device-based conditional access decisions for AD FS relying parties' },
        components: {
          securitySchemes: {
            bearer: {
              type: 'http',
              scheme: 'bearer',
              description: 'A token whose SHA-256 is in DEVICEGATE_API_TOKENS (scopes decide, admin); with --tls-client-ca, a verified client certificate also grants decide',
            },
          },
        },
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  }

  const routeOptions = {
    engine: options.engine,
    metrics,
    log,
    gate,
    readiness,
    ...(options.audit ? { audit: options.audit } : {}),
    policyDecisionPoint: () => options.policyDecisionPoint ?? listenUrl(app, tls !== undefined),
  };
  await app.register(decisionsRoute, routeOptions);
  await app.register(authzenRoutes, routeOptions);
  await app.register(deviceRoutes, routeOptions);
  await app.register(adfsStoreRoute, routeOptions);
  await app.register(adminRoutes, routeOptions);
  await app.register(healthRoutes, routeOptions);
  if (options.whfbScanner) await app.register(whfbRoutes, { scanner: options.whfbScanner });

  app.addHook('onReady', async () => readiness.start());
  app.addHook('onClose', async () => readiness.stop());

  if (options.closeEngine !== false) {
    app.addHook('onClose', async () => {
      await options.engine.close();
    });
  }
  return app;
}


/** The first address the app listens on as a URL (http://localhost before it listens, e.g. under inject()). */
function listenUrl(app: FastifyInstance, https: boolean): string {
  const address = app.addresses()[0];
  const scheme = https ? 'https' : 'http';
  if (address === undefined || typeof address === 'string') return `${scheme}://localhost`;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${scheme}://${host}:${address.port}`;
}
