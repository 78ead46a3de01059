/** A small seeded PRNG (mulberry32): the same seed gives the same request sequence, run after run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Ranks 0..n-1 drawn with P(rank k) proportional to 1 / (k + 1)^s (Zipf's law; s = 0 is uniform).
 * The cumulative weights are computed once (8 bytes per rank); each draw is a binary search.
 */
export class ZipfSampler {
  readonly n: number;
  readonly exponent: number;
  readonly #cdf: Float64Array;
  readonly #random: () => number;

  constructor(n: number, exponent: number, random: () => number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError('Zipf population must be a positive integer');
    if (!Number.isFinite(exponent) || exponent < 0) throw new RangeError('Zipf exponent must be >= 0');
    this.n = n;
    this.exponent = exponent;
    this.#random = random;
    this.#cdf = new Float64Array(n);
    let total = 0;
    for (let k = 0; k < n; k++) {
      total += exponent === 0 ? 1 : 1 / Math.pow(k + 1, exponent);
      this.#cdf[k] = total;
    }
  }

  /** The probability of rank k (for tests and reports). */
  probability(k: number): number {
    const total = this.#cdf[this.n - 1]!;
    return (this.#cdf[k]! - (k > 0 ? this.#cdf[k - 1]! : 0)) / total;
  }

  next(): number {
    const u = this.#random() * this.#cdf[this.n - 1]!;
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
