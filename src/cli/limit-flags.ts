import { DEFAULT_MAX_EVENT_LOOP_DELAY_MS, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_KEEP_ALIVE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_IN_FLIGHT, DEFAULT_REQUEST_TIMEOUT_MS, type ServerLimits } from '../server/index.js';
import { RejectedInputError, UsageError } from './io.js';

/** `serve` flags that bound the work one process takes on (README "Bounded work"). */
export const LIMIT_OPTIONS = {
  'max-in-flight': { type: 'string' },
  'max-connections': { type: 'string' },
  'request-timeout': { type: 'string' },
  'headers-timeout': { type: 'string' },
  'keep-alive-timeout': { type: 'string' },
  'max-event-loop-delay': { type: 'string' },
} as const;

export const LIMIT_HELP = `  --max-in-flight N   decisions in progress (directory waits included); past it 503 + Retry-After
                      at once (default ${DEFAULT_MAX_IN_FLIGHT}; 0: unbounded)
  --max-connections N open connections; further ones are closed on accept (default ${DEFAULT_MAX_CONNECTIONS}; 0: no cap)
  --request-timeout MS  whole request (headers and body) must arrive within it, else 408 (default ${DEFAULT_REQUEST_TIMEOUT_MS})
  --headers-timeout MS  headers must arrive within it; silent connections are closed after it (default ${DEFAULT_HEADERS_TIMEOUT_MS})
  --keep-alive-timeout MS  idle keep-alive connections are closed after it (default ${DEFAULT_KEEP_ALIVE_TIMEOUT_MS})
  --max-event-loop-delay MS  mean event-loop delay over a 1 s sample past which requests are shed
                      with 503 + Retry-After (default ${DEFAULT_MAX_EVENT_LOOP_DELAY_MS}; 0: off)`;

/** The config-file keys (camelCase of the flags). */
export const LIMIT_CONFIG_KEYS = ['maxInFlight', 'maxConnections', 'requestTimeout', 'headersTimeout', 'keepAliveTimeout', 'maxEventLoopDelay'] as const;

type LimitKey = (typeof LIMIT_CONFIG_KEYS)[number];
const FLAG_OF: Readonly<Record<LimitKey, keyof typeof LIMIT_OPTIONS>> = {
  maxInFlight: 'max-in-flight',
  maxConnections: 'max-connections',
  requestTimeout: 'request-timeout',
  headersTimeout: 'headers-timeout',
  keepAliveTimeout: 'keep-alive-timeout',
  maxEventLoopDelay: 'max-event-loop-delay',
};
const LIMIT_OF: Readonly<Record<LimitKey, keyof ServerLimits>> = {
  maxInFlight: 'maxInFlight',
  maxConnections: 'maxConnections',
  requestTimeout: 'requestTimeoutMs',
  headersTimeout: 'headersTimeoutMs',
  keepAliveTimeout: 'keepAliveTimeoutMs',
  maxEventLoopDelay: 'maxEventLoopDelayMs',
};

export type LimitSettings = Partial<Pick<ServerLimits, 'maxInFlight' | 'maxConnections' | 'requestTimeoutMs' | 'headersTimeoutMs' | 'keepAliveTimeoutMs' | 'maxEventLoopDelayMs'>>;

/** Flags win over the config file; each value a whole number >= 0 (0 turns that bound off). */
export function limitsFromFlags(values: Partial<Record<keyof typeof LIMIT_OPTIONS, string | undefined>>, config: Readonly<Record<string, unknown>>): LimitSettings {
  const limits: Record<string, number> = {};
  for (const key of LIMIT_CONFIG_KEYS) {
    const flag = FLAG_OF[key];
    const fromFlag = values[flag];
    const raw = fromFlag ?? config[key];
    if (raw === undefined) continue;
    const text = typeof raw === 'number' || typeof raw === 'string' ? String(raw) : '';
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
      const message = `${fromFlag !== undefined ? `--${flag}` : `config: "${key}"`} must be a whole number >= 0, got "${text || typeof raw}"`;
      throw fromFlag !== undefined ? new UsageError(message) : new RejectedInputError(message);
    }
    limits[LIMIT_OF[key]] = Number(text);
  }
  return limits as LimitSettings;
}
