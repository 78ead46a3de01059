import { LRUCache } from 'lru-cache';
import { DEFAULT_CLOCK_SKEW_SEC, type SamlToken } from './parse-saml-token.js';
import { SamlError } from './errors.js';

export interface ReplayCacheOptions {
  /** Most assertions remembered at once; beyond it the least recently seen is forgotten. */
  readonly max: number;
  /** Added to each assertion's end of validity (the same skew its time checks allow); default 300 s. */
  readonly clockSkewSec?: number;
}

/**
 * One-time use of SAML assertions: an assertion (Issuer + ID) is accepted once, and remembered until
 * it could no longer pass the time checks anyway (its Conditions / SubjectConfirmationData
 * NotOnOrAfter plus the clock skew). Bounded: when more than `max` live assertions arrive, the
 * oldest are forgotten (and could be replayed within their remaining validity); size `max` for the
 * token rate times the token lifetime.
 */
export class ReplayCache {
  readonly #seen: LRUCache<string, true>;
  readonly #skewMs: number;

  constructor(options: ReplayCacheOptions) {
    this.#seen = new LRUCache<string, true>({ max: options.max, ttlAutopurge: false });
    this.#skewMs = (options.clockSkewSec ?? DEFAULT_CLOCK_SKEW_SEC) * 1000;
  }

  /** Marks the token's assertion used, or throws DG_ERR_SAML_REPLAYED when it was used already. */
  use(token: Pick<SamlToken, 'issuer' | 'assertionId' | 'usableUntil'>, now: Date): void {
    const key = `${token.issuer}\n${token.assertionId}`;
    if (this.#seen.has(key)) throw new SamlError('DG_ERR_SAML_REPLAYED', `samlToken assertion ${token.assertionId} was already used (SAML bearer assertions are one-time use)`);
    const ttl = Math.max(1, token.usableUntil.getTime() + this.#skewMs - now.getTime());
    this.#seen.set(key, true, { ttl });
  }

  get size(): number {
    return this.#seen.size;
  }
}
