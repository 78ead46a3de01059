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
const keyOf = (token: Pick<SamlToken, 'issuer' | 'assertionId'>): string => `${token.issuer}\n${token.assertionId}`;

export class ReplayCache {
  /** key -> end of the assertion's usability (ms since the epoch, skew included). */
  readonly #seen: LRUCache<string, number>;
  readonly #skewMs: number;

  constructor(options: ReplayCacheOptions) {
    this.#seen = new LRUCache<string, number>({ max: options.max });
    this.#skewMs = (options.clockSkewSec ?? DEFAULT_CLOCK_SKEW_SEC) * 1000;
  }

  /** Throws DG_ERR_SAML_REPLAYED when the token's assertion was used already (marks nothing). */
  check(token: Pick<SamlToken, 'issuer' | 'assertionId'>, now: Date): void {
    const until = this.#seen.get(keyOf(token));
    if (until !== undefined && until > now.getTime()) {
      throw new SamlError('DG_ERR_SAML_REPLAYED', `samlToken assertion ${token.assertionId} was already used (SAML bearer assertions are one-time use)`);
    }
  }

  /** Marks the token's assertion used at `now`, or throws DG_ERR_SAML_REPLAYED when it was used already. */
  use(token: Pick<SamlToken, 'issuer' | 'assertionId' | 'usableUntil'>, now: Date): void {
    this.check(token, now);
    this.#seen.set(keyOf(token), token.usableUntil.getTime() + this.#skewMs);
  }

  get size(): number {
    return this.#seen.size;
  }
}
