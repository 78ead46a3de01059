import type { FastifyBaseLogger } from 'fastify';
import type { DirectoryHealth } from '../directory/index.js';
import type { DecisionEngine } from '../policy/index.js';

export interface ReadinessState {
  readonly ready: boolean;
  readonly rules: boolean;
  readonly directory: { readonly ok: boolean; readonly backend: string };
  readonly policyRevision: string;
}

const UNKNOWN: ReadinessState = { ready: false, rules: false, directory: { ok: false, backend: 'unknown' }, policyRevision: '' };

/**
 * /readyz answers from here. The engine's readiness() probes every DC, so it runs on an unref'd timer
 * (at most once per interval, never on a request) and requests read the last result: however many
 * callers ask, the DCs see one probe per interval. Until the first probe has finished, callers wait
 * for that one probe (shared), never start their own.
 */
export class ReadinessCache {
  #state: ReadinessState | undefined;
  #health: DirectoryHealth | undefined;
  #running: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** How many probes have been started (for tests and the metric). */
  probes = 0;

  constructor(
    private readonly engine: DecisionEngine,
    private readonly log: FastifyBaseLogger,
    private readonly intervalMs = 1000,
  ) {}

  /** First probe now, then one per interval (skipped while the previous one is still running). */
  start(): void {
    if (this.#timer) return;
    void this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The last state; before the first probe has finished, that probe's result. */
  async current(): Promise<ReadinessState> {
    if (this.#state) return this.#state;
    if (!this.#running) this.start();
    await this.#running;
    return this.#state ?? UNKNOWN;
  }

  /** The directory health of the last probe (for the /metrics gauges), probing once if there is none yet. */
  async directoryHealth(): Promise<DirectoryHealth | undefined> {
    if (!this.#health) await this.current();
    return this.#health;
  }

  refresh(): Promise<void> {
    if (this.#running) return this.#running;
    this.probes++;
    const run = this.#probe().finally(() => {
      this.#running = undefined;
    });
    this.#running = run;
    return run;
  }

  async #probe(): Promise<void> {
    try {
      const r = await this.engine.readiness();
      this.#health = r.directory;
      // Only ok/backend: the detail can name hosts and errors, and /readyz is unauthenticated.
      this.#state = { ready: r.ok, rules: r.rules, directory: { ok: r.directory.ok, backend: r.directory.backend }, policyRevision: this.engine.revision };
    } catch (error) {
      this.log.warn({ err: error }, 'readiness check failed');
      this.#state = UNKNOWN;
    }
  }
}
