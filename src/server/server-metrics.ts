import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DecisionResult } from '../policy/index.js';
import type { DeviceDirectory, DirectoryHealth } from '../directory/index.js';

/** Counters a cache can expose (src/cache keeps them; we only read). */
export interface CacheCounters {
  readonly hits: number;
  readonly misses: number;
  readonly stale: number;
  readonly size?: number;
}

/** Read-only views of the parts behind the engine, scraped at /metrics time. */
export interface MetricsSources {
  readonly cache?: () => CacheCounters;
  readonly directory?: Pick<DeviceDirectory, 'stats' | 'health'>;
}

/**
 * One prom-client registry per app (no module singletons, so tests can build many apps).
 * The decision counters are pre-bound per label value: no label lookup on the hot path.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly decisionsByResult: Record<DecisionResult, ReturnType<Counter<'result'>['labels']>>;
  private readonly decisionErrors: Counter<'status'>;
  private readonly decisionSeconds: Histogram;
  private readonly ldapSeconds: Histogram<'outcome'>;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const decisions = new Counter({ name: 'devicegate_decisions_total', help: 'Decisions made, by result', labelNames: ['result'] as const, registers });
    this.decisionsByResult = { permit: decisions.labels('permit'), deny: decisions.labels('deny'), mfa_required: decisions.labels('mfa_required') };
    this.decisionErrors = new Counter({ name: 'devicegate_decision_errors_total', help: 'Decision requests answered with an error, by HTTP status', labelNames: ['status'] as const, registers });
    this.decisionSeconds = new Histogram({
      name: 'devicegate_decision_duration_seconds',
      help: 'Time spent in engine.decide',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.ldapSeconds = new Histogram({
      name: 'devicegate_ldap_search_duration_seconds',
      help: 'Directory device look-ups sent past the cache, by outcome',
      labelNames: ['outcome'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'devicegate_' });
  }

  observeDecision(result: DecisionResult, startedAt: number): void {
    this.decisionsByResult[result].inc();
    this.decisionSeconds.observe((performance.now() - startedAt) / 1000);
  }

  observeDecisionError(statusCode: number): void {
    this.decisionErrors.inc({ status: String(statusCode) });
  }

  /**
   * Wraps a directory so every `find` that reaches it is timed. Used at the edge (serve) before the
   * directory is handed to the engine, so cache hits are not counted.
   */
  instrumentDirectory<D extends DeviceDirectory>(directory: D): D {
    const histogram = this.ldapSeconds;
    const find = directory.find.bind(directory);
    return new Proxy(directory, {
      get(target, property, receiver) {
        if (property === 'find') {
          return async (query: Parameters<DeviceDirectory['find']>[0]) => {
            const end = histogram.startTimer();
            try {
              const record = await find(query);
              end({ outcome: record === undefined ? 'not_found' : 'found' });
              return record;
            } catch (error) {
              end({ outcome: 'error' });
              throw error;
            }
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /** Registers gauges/counters that read the sources at scrape time. Call once per app. */
  attachSources(sources: MetricsSources): void {
    const registers = [this.registry];
    const cache = sources.cache;
    if (cache) {
      for (const [name, pick] of [
        ['hits', (c: CacheCounters) => c.hits],
        ['misses', (c: CacheCounters) => c.misses],
        ['stale', (c: CacheCounters) => c.stale],
      ] as const) {
        new Counter({
          name: `devicegate_cache_${name}_total`,
          help: `Device cache ${name}`,
          registers,
          collect() {
            this.reset();
            this.inc(pick(cache()));
          },
        });
      }
      new Gauge({
        name: 'devicegate_cache_entries',
        help: 'Entries in the device cache',
        registers,
        collect() {
          this.set(cache().size ?? 0);
        },
      });
    }
    const directory = sources.directory;
    if (directory) {
      new Counter({
        name: 'devicegate_ldap_searches_total',
        help: 'Searches sent to the directory backend',
        registers,
        collect() {
          this.reset();
          this.inc(directory.stats.searches);
        },
      });
      new Counter({
        name: 'devicegate_ldap_errors_total',
        help: 'Directory errors',
        registers,
        collect() {
          this.reset();
          this.inc(directory.stats.errors);
        },
      });
      let last: Promise<DirectoryHealth> | undefined;
      const health = (): Promise<DirectoryHealth> => (last ??= directory.health().finally(() => setImmediate(() => (last = undefined))));
      new Gauge({
        name: 'devicegate_ldap_server_up',
        help: 'Directory server reachable (1) or not (0)',
        labelNames: ['server'] as const,
        registers,
        async collect() {
          const h = await health().catch(() => undefined);
          this.reset();
          if (!h) return;
          if (h.servers && h.servers.length > 0) for (const s of h.servers) this.set({ server: s.url }, s.ok ? 1 : 0);
          else this.set({ server: h.backend }, h.ok ? 1 : 0);
        },
      });
      for (const [suffix, help, pick] of [
        ['connections', 'Pooled LDAP connections per server', (s: { connections: number }) => s.connections],
        ['in_flight', 'LDAP operations in flight per server', (s: { inFlight: number }) => s.inFlight],
      ] as const) {
        new Gauge({
          name: `devicegate_ldap_pool_${suffix}`,
          help,
          labelNames: ['server'] as const,
          registers,
          async collect() {
            const h = await health().catch(() => undefined);
            this.reset();
            for (const s of h?.servers ?? []) this.set({ server: s.url }, pick(s));
          },
        });
      }
    }
  }
}
