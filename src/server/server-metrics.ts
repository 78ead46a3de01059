import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { FAIL_CLOSED_REASON_CODES, type DecisionResult, type FailClosedReasonCode } from '../policy/index.js';
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
 * A label-less histogram that costs a short loop and two adds per observation (prom-client's
 * Histogram hashes labels and makes closures on every observe). prom-client's registry reads it at
 * scrape time through the same `get()` shape its own Histogram gives, so the exposition is the same.
 */
export class PlainHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #counts: Float64Array;
  #sum = 0;
  #count = 0;
  #shown = true;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly upperBounds: readonly number[],
    registry: Registry,
  ) {
    this.#counts = new Float64Array(upperBounds.length);
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  observe(value: number): void {
    const bounds = this.upperBounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    if (i < bounds.length) this.#counts[i]!++;
    this.#sum += value;
    this.#count++;
    this.#shown = true;
  }

  async get(): Promise<{ name: string; help: string; type: 'histogram'; values: HistogramValue[]; aggregator: 'sum' }> {
    const values: HistogramValue[] = [];
    // Like prom-client: a label-less histogram shows zeroes until reset, then nothing until observed.
    if (this.#shown) {
      const bucket = `${this.name}_bucket`;
      let acc = 0;
      for (let i = 0; i < this.upperBounds.length; i++) {
        acc += this.#counts[i]!;
        values.push({ value: acc, metricName: bucket, exemplar: null, labels: { le: this.upperBounds[i]! } });
      }
      values.push(
        { value: this.#count, metricName: bucket, exemplar: null, labels: { le: '+Inf' } },
        { value: this.#sum, metricName: `${this.name}_sum`, exemplar: undefined, labels: {} },
        { value: this.#count, metricName: `${this.name}_count`, exemplar: undefined, labels: {} },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.#counts.fill(0);
    this.#sum = 0;
    this.#count = 0;
    this.#shown = false;
  }
}

interface HistogramValue {
  value: number;
  metricName: string;
  exemplar: null | undefined;
  labels: Record<string, string | number>;
}

const RESULTS: readonly DecisionResult[] = ['permit', 'deny', 'mfa_required'];
const RESULT_INDEX: Readonly<Record<DecisionResult, number>> = { permit: 0, deny: 1, mfa_required: 2 };

/**
 * One prom-client registry per app (no module singletons, so tests can build many apps).
 * Decisions are counted in plain fields and handed to prom-client when it is scraped: the hot
 * path does no label lookup and no prom-client work.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly decided: Record<DecisionResult, number> = { permit: 0, deny: 0, mfa_required: 0 };
  private readonly failedClosed: Record<FailClosedReasonCode, number> = { rule_error: 0, attribute_store_error: 0, evaluation_budget_exceeded: 0 };
  /**
   * Decisions by relying party (its configured id: decisions exist only for configured relying parties,
   * so the label set is bounded by the configuration), counted as [permit, deny, mfa_required].
   */
  private readonly decidedByParty = new Map<string, Float64Array>();
  private readonly decisionErrors: Counter<'status'>;
  private readonly decisionSeconds: PlainHistogram;
  private readonly ldapSeconds: Histogram<'outcome'>;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const decided = this.decided;
    const byParty = this.decidedByParty;
    new Counter({
      name: 'devicegate_decisions_total',
      help: 'Decisions made, by result',
      labelNames: ['result'] as const,
      registers,
      collect() {
        this.reset();
        for (const result of ['permit', 'deny', 'mfa_required'] as const) if (decided[result] > 0) this.inc({ result }, decided[result]);
      },
    });
    const failedClosed = this.failedClosed;
    new Counter({
      name: 'devicegate_fail_closed_decisions_total',
      help: 'Decisions that denied because a rule set could not be evaluated, by reason (rule_error, attribute_store_error, evaluation_budget_exceeded)',
      labelNames: ['reason'] as const,
      registers,
      collect() {
        this.reset();
        for (const reason of FAIL_CLOSED_REASON_CODES) if (failedClosed[reason] > 0) this.inc({ reason }, failedClosed[reason]);
      },
    });
    new Counter({
      name: 'devicegate_relying_party_decisions_total',
      help: 'Decisions made, by configured relying party (its first identifier) and result',
      labelNames: ['relying_party', 'result'] as const,
      registers,
      collect() {
        this.reset();
        for (const [relyingParty, counts] of byParty) {
          for (let i = 0; i < RESULTS.length; i++) if (counts[i]! > 0) this.inc({ relying_party: relyingParty, result: RESULTS[i]! }, counts[i]!);
        }
      },
    });
    this.decisionErrors = new Counter({ name: 'devicegate_decision_errors_total', help: 'Decision requests answered with an error, by HTTP status', labelNames: ['status'] as const, registers });
    this.decisionSeconds = new PlainHistogram(
      'devicegate_decision_duration_seconds',
      'Time spent in engine.decide',
      [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      this.registry,
    );
    this.ldapSeconds = new Histogram({
      name: 'devicegate_ldap_search_duration_seconds',
      help: 'Directory device look-ups sent past the cache, by outcome',
      labelNames: ['outcome'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'devicegate_' });
  }

  /**
   * `relyingParty`: the decision's relyingParty.id (a configured relying party, never caller input);
   * `failedClosed`: the decision's fail-closed reason, when it is one (policy's failClosedReasonOf).
   */
  observeDecision(result: DecisionResult, startedAt: number, relyingParty?: string, failedClosed?: FailClosedReasonCode): void {
    this.decided[result]++;
    if (failedClosed !== undefined) this.failedClosed[failedClosed]++;
    if (relyingParty !== undefined) {
      let counts = this.decidedByParty.get(relyingParty);
      if (counts === undefined) this.decidedByParty.set(relyingParty, (counts = new Float64Array(RESULTS.length)));
      counts[RESULT_INDEX[result]]!++;
    }
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

  /** Decisions in flight and requests shed by the in-flight bound (read at scrape time). */
  attachWorkGate(gate: { readonly inFlight: number; readonly shed: number; readonly max: number }): void {
    const registers = [this.registry];
    new Gauge({
      name: 'devicegate_decisions_in_flight',
      help: 'Decisions (and device look-ups) being evaluated now, directory waits included',
      registers,
      collect() {
        this.set(gate.inFlight);
      },
    });
    new Gauge({
      name: 'devicegate_decisions_in_flight_limit',
      help: 'The bound on decisions in flight (0: unbounded)',
      registers,
      collect() {
        this.set(gate.max);
      },
    });
    new Counter({
      name: 'devicegate_requests_shed_total',
      help: 'Requests answered 503 DG_ERR_SERVER_OVERLOADED (the in-flight bound full, or the event loop over its delay threshold)',
      registers,
      collect() {
        this.reset();
        this.inc(gate.shed);
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
      new Gauge({
        name: 'devicegate_ldap_server_latency_seconds',
        help: 'Recent latency of LDAP operations per server (moving average of successful ones)',
        labelNames: ['server'] as const,
        registers,
        async collect() {
          const h = await health().catch(() => undefined);
          this.reset();
          for (const s of h?.servers ?? []) if (s.latencyMs !== undefined) this.set({ server: s.url }, s.latencyMs / 1000);
        },
      });
      new Counter({
        name: 'devicegate_ldap_server_errors_total',
        help: 'Failed LDAP attempts per server (timeouts, refused or dropped connections, refused binds)',
        labelNames: ['server'] as const,
        registers,
        async collect() {
          const h = await health().catch(() => undefined);
          this.reset();
          for (const s of h?.servers ?? []) this.inc({ server: s.url }, s.errors ?? 0);
        },
      });
      new Gauge({
        name: 'devicegate_directory_change_tracking_up',
        help: 'Change tracking polls the directory successfully (1) or not (0); absent without change tracking',
        registers,
        async collect() {
          const h = await health().catch(() => undefined);
          this.reset();
          if (h?.changeTracking && h.changeTracking.mode !== 'none') this.set(h.changeTracking.ok ? 1 : 0);
        },
      });
      new Gauge({
        name: 'devicegate_directory_last_change_age_seconds',
        help: 'Seconds since change tracking last saw a device change (absent until one is seen)',
        registers,
        async collect() {
          const h = await health().catch(() => undefined);
          this.reset();
          const age = h?.changeTracking?.lastChangeAgeMs;
          if (age !== undefined) this.set(age / 1000);
        },
      });
      new Gauge({
        name: 'devicegate_directory_last_poll_age_seconds',
        help: 'Seconds since change tracking last polled the directory successfully',
        registers,
        async collect() {
          const h = await health().catch(() => undefined);
          this.reset();
          const age = h?.changeTracking?.lastPollAgeMs;
          if (age !== undefined) this.set(age / 1000);
        },
      });
    }
  }
}
