import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type LogArgs = Parameters<FastifyBaseLogger['info']>;

interface LevelAware extends FastifyBaseLogger {
  isLevelEnabled(level: string): boolean;
}

function isLevelAware(logger: FastifyBaseLogger): logger is LevelAware {
  return typeof (logger as Partial<LevelAware>).isLevelEnabled === 'function';
}

/**
 * The per-request logger, made only when something is logged at an enabled level. Fastify asks
 * for a child with `{ reqId }` on every request; with redaction configured, pino's child() costs
 * about as much as a whole cached decision. Until a line is written, this object is all there is.
 */
class LazyChildLogger implements FastifyBaseLogger {
  readonly #parent: LevelAware;
  #bindings: Bindings;
  readonly #options: ChildLoggerOptions;
  #real: FastifyBaseLogger | undefined;

  constructor(parent: LevelAware, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #child(): FastifyBaseLogger {
    return (this.#real ??= this.#parent.child(this.#bindings, this.#options));
  }

  #log(level: Level, args: LogArgs): void {
    const real = this.#real;
    if (real !== undefined) (real[level] as (...a: LogArgs) => void)(...args);
    else if (this.#parent.isLevelEnabled(level)) (this.#child()[level] as (...a: LogArgs) => void)(...args);
  }

  get level(): string {
    return (this.#real ?? this.#parent).level;
  }

  set level(level: string) {
    this.#child().level = level;
  }

  fatal(...args: LogArgs): void {
    this.#log('fatal', args);
  }

  error(...args: LogArgs): void {
    this.#log('error', args);
  }

  warn(...args: LogArgs): void {
    this.#log('warn', args);
  }

  info(...args: LogArgs): void {
    this.#log('info', args);
  }

  debug(...args: LogArgs): void {
    this.#log('debug', args);
  }

  trace(...args: LogArgs): void {
    this.#log('trace', args);
  }

  silent(): void {}

  isLevelEnabled(level: string): boolean {
    const real = this.#real;
    return real !== undefined && isLevelAware(real) ? real.isLevelEnabled(level) : this.#parent.isLevelEnabled(level);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#child().child(bindings, options);
  }

  /** Adds bindings to this request's lines (e.g. the caller once authenticated); no child is made for it. */
  setBindings(bindings: Bindings): void {
    const real = this.#real as (FastifyBaseLogger & { setBindings?: (b: Bindings) => void }) | undefined;
    if (real === undefined) this.#bindings = { ...this.#bindings, ...bindings };
    else if (typeof real.setBindings === 'function') real.setBindings(bindings);
  }

  bindings(): Bindings {
    const real = this.#child() as FastifyBaseLogger & { bindings?: () => Bindings };
    return typeof real.bindings === 'function' ? real.bindings() : { ...this.#bindings };
  }
}

/** Fastify `childLoggerFactory`: lazy for pino-like loggers; a route with its own level or serializers gets a real child at once. */
export function lazyChildLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  if (!isLevelAware(logger) || options.level !== undefined || options.serializers !== undefined) return logger.child(bindings, options);
  return new LazyChildLogger(logger, bindings, options);
}
