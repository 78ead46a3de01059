import type { LoadMode, LoadResult, TimelinePoint } from './run-load.js';

export interface LoadtestSettings {
  /** The target URL(s), without credentials. */
  readonly target: string;
  readonly targetKind: 'http' | 'ldap';
  readonly mode: LoadMode;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly presentation: string;
  readonly zipf: number;
  readonly unknownShare: number;
  readonly population: number;
  readonly populationSource: string;
  readonly relyingParties: readonly string[];
  readonly seed: number;
}

/** The --json report (binding keys: requests, durationSeconds, achievedRate, latencyMs, decisions | lookups, errors). */
export interface LoadtestSummary {
  readonly tool: 'devicegate loadtest';
  readonly date: string;
  readonly target: string;
  readonly targetKind: 'http' | 'ldap';
  readonly mode: 'open' | 'closed';
  readonly offeredRate?: number;
  readonly connections?: number;
  readonly requests: number;
  readonly warmupRequests: number;
  readonly durationSeconds: number;
  readonly achievedRate: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly p999: number; readonly max: number; readonly mean: number };
  readonly decisions?: { readonly permit: number; readonly deny: number; readonly mfa_required: number };
  readonly lookups?: { readonly found: number; readonly notFound: number };
  readonly errors: Readonly<Record<string, number>>;
  readonly errorCount: number;
  readonly settings: Omit<LoadtestSettings, 'target' | 'targetKind' | 'mode'>;
  /** Peak requests in flight at once (open loop: how far the target fell behind). */
  readonly maxInFlight: number;
  readonly timeline: readonly TimelinePoint[];
  /** Latency (ms) at percentiles 0..99.999, for the distribution chart. */
  readonly distribution: readonly { readonly percentile: number; readonly ms: number }[];
}

const PERCENTILES = [0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96, 97, 97.5, 98, 98.5, 99, 99.25, 99.5, 99.75, 99.9, 99.95, 99.99, 99.999, 100];
const ms = (micros: number): number => Number((micros / 1000).toFixed(3));

export function summarize(result: LoadResult, settings: LoadtestSettings, date = new Date()): LoadtestSummary {
  const h = result.histogram;
  // HdrHistogram answers a bucket's highest equivalent value, which can pass the largest value recorded.
  const at = (p: number): number => (h.totalCount > 0 ? ms(Math.min(h.getValueAtPercentile(p), h.maxValue)) : 0);
  const errorCount = Object.values(result.errors).reduce((a, b) => a + b, 0);
  const { target, targetKind, mode, ...rest } = settings;
  return {
    tool: 'devicegate loadtest',
    date: date.toISOString(),
    target,
    targetKind,
    mode: mode.kind,
    ...(mode.kind === 'open' ? { offeredRate: mode.rate } : { connections: mode.connections }),
    requests: result.requests,
    warmupRequests: result.warmupRequests,
    durationSeconds: Number(result.durationSeconds.toFixed(3)),
    achievedRate: Number((result.requests / result.durationSeconds).toFixed(1)),
    latencyMs: { p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: h.totalCount > 0 ? ms(h.maxValue) : 0, mean: h.totalCount > 0 ? ms(h.mean) : 0 },
    ...(targetKind === 'http'
      ? { decisions: { permit: result.labels.permit ?? 0, deny: result.labels.deny ?? 0, mfa_required: result.labels.mfa_required ?? 0 } }
      : { lookups: { found: result.labels.found ?? 0, notFound: result.labels.notFound ?? 0 } }),
    errors: result.errors,
    errorCount,
    settings: rest,
    maxInFlight: result.maxInFlight,
    timeline: result.timeline,
    distribution: h.totalCount > 0 ? PERCENTILES.map((p) => ({ percentile: p, ms: p === 100 ? ms(h.maxValue) : at(p) })) : [],
  };
}

/** The final table printed without --json. */
export function formatTable(s: LoadtestSummary): string {
  const rows: [string, string][] = [
    ['target', `${s.target} (${s.targetKind})`],
    ['load', s.mode === 'open' ? `open loop, ${s.offeredRate} req/s offered` : `closed loop, ${s.connections} connections`],
    ['population', `${s.settings.population} devices (${s.settings.populationSource}), zipf ${s.settings.zipf}, unknown ${(s.settings.unknownShare * 100).toFixed(1)}%, ${s.settings.presentation}`],
    ['requests', `${s.requests} in ${s.durationSeconds.toFixed(2)} s (+${s.warmupRequests} warm-up)`],
    ['achieved rate', `${s.achievedRate.toFixed(1)} req/s`],
    ['latency ms', `p50 ${s.latencyMs.p50}  p90 ${s.latencyMs.p90}  p99 ${s.latencyMs.p99}  p99.9 ${s.latencyMs.p999}  max ${s.latencyMs.max}`],
  ];
  if (s.decisions) rows.push(['decisions', `permit ${s.decisions.permit}  deny ${s.decisions.deny}  mfa_required ${s.decisions.mfa_required}`]);
  if (s.lookups) rows.push(['lookups', `found ${s.lookups.found}  notFound ${s.lookups.notFound}`]);
  const errs = Object.entries(s.errors);
  rows.push(['errors', errs.length === 0 ? '0' : errs.map(([code, n]) => `${code} ${n}`).join('  ')]);
  rows.push(['max in flight', String(s.maxInFlight)]);
  return `${rows.map(([k, v]) => `${k.padEnd(14)} ${v}`).join('\n')}\n`;
}
