/**
 * The overload generator, in its own process so it does not share an event loop with the probes.
 * Usage: tsx bench/attack/load.ts '<json options>'; prints one JSON line with what it saw.
 * Options: { url, token, body?, randomThumbprint?: { relyingParty }, connections, seconds, overallRate? }
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

interface LoadOptions {
  url: string;
  token: string;
  body?: string;
  randomThumbprint?: { relyingParty: string };
  connections: number;
  seconds: number;
  overallRate?: number;
}

interface AutocannonResult {
  requests: { average: number; total: number; sent: number };
  latency: { p50: number; p99: number; max: number };
  statusCodeStats?: Record<string, { count: number }>;
  non2xx: number;
  errors: number;
  timeouts: number;
}

// autocannon ships no types; loaded through require so this folder stands alone.
const autocannon = createRequire(import.meta.url)('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>;

const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
const random = options.randomThumbprint;
const result = await autocannon({
  url: options.url,
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
  connections: options.connections,
  duration: options.seconds,
  timeout: 30,
  ...(options.overallRate ? { overallRate: options.overallRate } : {}),
  ...(random
    ? {
        // A thumbprint no device has: every request is a cache miss and a directory search.
        requests: [{ setupRequest: (request: Record<string, unknown>) => ({ ...request, body: JSON.stringify({ relyingParty: random.relyingParty, device: { thumbprint: randomBytes(20).toString('hex').toUpperCase() } }) }) }],
      }
    : { body: options.body }),
});
const statuses: Record<string, number> = {};
for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = count;
process.stdout.write(
  `${JSON.stringify({
    requestsPerSecond: Math.round(result.requests.average),
    responses: result.requests.total,
    sent: result.requests.sent,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMaxMs: result.latency.max,
  })}\n`,
);
