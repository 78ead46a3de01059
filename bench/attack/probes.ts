/** Latency recorders for the ordinary client and the /healthz prober (open loop: a fixed request rate). */
import { performance } from 'node:perf_hooks';

export interface ProbeSummary {
  readonly sent: number;
  /** Answered as an ordinary caller expects (200 and, for decisions, the right decision). */
  readonly ok: number;
  readonly statuses: Record<string, number>;
  /** Network errors and client-side timeouts. */
  readonly failed: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (x: number): number => Math.round(x * 100) / 100;

/** Sends `perSecond` requests a second until stopped; a request's latency counts whether it succeeds or not. */
export function pacedProbe(perSecond: number, send: (signal: AbortSignal) => Promise<{ status: number; ok: boolean }>): { stop(): Promise<ProbeSummary> } {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let sent = 0;
  let ok = 0;
  let failed = 0;
  const pending = new Set<Promise<void>>();
  const fire = (): void => {
    sent++;
    const started = performance.now();
    const run = send(AbortSignal.timeout(30_000))
      .then(
        (r) => {
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          if (r.ok) ok++;
        },
        () => {
          failed++;
        },
      )
      .finally(() => {
        latencies.push(performance.now() - started);
        pending.delete(run);
      });
    pending.add(run);
  };
  const timer = setInterval(fire, 1000 / perSecond);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      const sorted = [...latencies].sort((a, b) => a - b);
      return { sent, ok, statuses, failed, p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)), maxMs: round(sorted.at(-1) ?? 0) };
    },
  };
}
