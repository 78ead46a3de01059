import { ServerError } from './errors.js';

/**
 * The bound on work in flight: decisions (and device look-ups) being evaluated, including those
 * waiting on the directory. Past `max`, a request is answered 503 + Retry-After at once instead of
 * queueing behind the others. Routes call enter() before the engine and leave() in a `finally`
 * (no closure, no promise: nothing allocated on the cached-decision path). max 0 disables the bound.
 */
export class WorkGate {
  inFlight = 0;
  /** Requests turned away since start (a metric). */
  shed = 0;
  readonly #retryAfter: string;
  /** The 503 body for a request turned away at the bound (fixed: shedding must stay cheap). */
  readonly fullBody: string;

  constructor(
    readonly max: number,
    readonly retryAfterSeconds: number,
  ) {
    this.#retryAfter = String(retryAfterSeconds);
    this.fullBody = JSON.stringify({ error: { code: 'DG_ERR_SERVER_OVERLOADED', message: this.#fullMessage() } });
  }

  #fullMessage(): string {
    return `${this.max} decisions are in progress; retry after ${this.#retryAfter} s`;
  }

  /** True when one more unit of work would be over the bound. */
  get full(): boolean {
    return this.max > 0 && this.inFlight >= this.max;
  }

  /** Takes a slot or throws DG_ERR_SERVER_OVERLOADED (its retryAfterSeconds becomes the Retry-After header). */
  enter(): void {
    if (this.max > 0 && this.inFlight >= this.max) throw this.overloaded();
    this.inFlight++;
  }

  leave(): void {
    this.inFlight--;
  }

  overloaded(): OverloadedError {
    this.shed++;
    return new OverloadedError(this.#fullMessage(), this.retryAfterSeconds);
  }
}

/** DG_ERR_SERVER_OVERLOADED with the delay the error handler puts in Retry-After. */
export class OverloadedError extends ServerError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('DG_ERR_SERVER_OVERLOADED', message);
  }
}
