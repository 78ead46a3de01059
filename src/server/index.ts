export { buildServer, type BuildServerOptions, type DevicegateServer, type ServerLimits } from './build-server.js';
export { DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_CONNECTIONS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_KEEP_ALIVE_TIMEOUT_MS, DEFAULT_MAX_EVENT_LOOP_DELAY_MS } from './build-server.js';
export { ServerError, SERVER_ERRORS, mapError, type ServerErrorCode, type ErrorBody } from './errors.js';
export { parseApiTokens, hashToken, tokenHashEntry, generateToken, scopeOfToken, callerOfToken, TOKEN_NAME, type ApiToken, type Scope } from './api-tokens.js';
export { ServerMetrics, type MetricsSources, type CacheCounters } from './server-metrics.js';
export { loggerOptions, REDACT_PATHS } from './logger-options.js';
export type { RateLimitOptions } from './rate-limit-plugin.js';
export { AuditLog, type AuditSink, type AuditLogOptions, type AuditContext } from './audit-log.js';
