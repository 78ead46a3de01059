import { LRUCache } from 'lru-cache';
import { DEFAULT_CLOCK_SKEW_SEC, type SamlToken } from './parse-saml-token.js';
import { SamlError } from './errors.js';

export interface ReplayCacheOptions {
  /** Most assertions remembered at once; beyond it the least recently used is forgotten. */
  readonly max: number;
  /** Added to each assertion's end of validity (the same skew its time checks allow); default 300 s. */
  readonly clockSkewSec?: number;
}

/**
 * One-time use of SAML assertions: an assertion (Issuer + ID) is accepted once, and remembered until
 * it could no longer pass the time checks anyway (the earlier of its Conditions and bearer
 * SubjectConfirmationData NotOnOrAfter, plus the clock skew), measured on the decision clock. Bounded:
 * with more than `max` assertions remembered the least recently used is forgotten (and could be
 * replayed within its remaining validity), so size `max` for the token rate times the token lifetime.
 */
export class ReplayCache {
  /** key -> end of the assertion's usability (ms since the epoch, skew included). */
  readonly #seen: LRUCache<string, number>;
  readonly #skewMs: number;

  constructor(options: ReplayCacheOptions) {
    this.#seen = new LRUCache<string, number>({ max: options.max });
    this.#skewMs = (options.clockSkewSec ?? DEFAULT_CLOCK_SKEW_SEC) * 1000;
  }

  /** Marks the token's assertion used at `now`, or throws DG_ERR_SAML_REPLAYED when it was used already. */
  use(token: Pick<SamlToken, 'issuer' | 'assertionId' | 'usableUntil'>, now: Date): void {
    const key = `${token.issuer}\n${token.assertionId}`;
    const until = this.#seen.get(key);
    if (until !== undefined && until > now.getTime()) {
      throw new SamlError('DG_ERR_SAML_REPLAYED', `samlToken assertion ${token.assertionId} was already used (SAML bearer assertions are one-time use)`);
    }
    this.#seen.set(key, token.usableUntil.getTime() + this.#skewMs);
  }

  get size(): number {
    return this.#seen.size;
  }
}
