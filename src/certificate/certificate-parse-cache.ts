import { LRUCache } from 'lru-cache';
import { parseDeviceCertificate, type DeviceCertificate } from './device-certificate.js';

export interface CertificateParseCacheOptions {
  /** Distinct presented certificates remembered (default 10000). */
  readonly maxEntries?: number;
  /** Bound on the characters of remembered presentations plus their DER bytes (default 32 MiB). */
  readonly maxBytes?: number;
}

/**
 * Parsing a presented certificate (PEM/base64 -> DER, ASN.1 walk, SHA-1 and SHA-256) costs 10-20 µs
 * and most of a cached decision's garbage; a relying party presents the same device certificate again
 * and again. The parse is a pure function of the presented text, so its result is remembered, keyed
 * by that exact text, in a bounded LRU. Only the parse: validity at the decision time, the issuer
 * chain and the device ID agreement are still checked on every decision (checkDeviceCertificate).
 * Input that does not parse is not remembered (it throws every time, as before).
 */
export class CertificateParseCache {
  readonly #lru: LRUCache<string, DeviceCertificate>;

  constructor(options: CertificateParseCacheOptions = {}) {
    this.#lru = new LRUCache<string, DeviceCertificate>({
      max: options.maxEntries ?? 10_000,
      maxSize: options.maxBytes ?? 32 * 1024 * 1024,
      sizeCalculation: (cert, key) => key.length + cert.der.length + 256,
    });
  }

  /** parseDeviceCertificate(text), remembered; the returned object is frozen and shared. */
  parse(text: string): DeviceCertificate {
    const hit = this.#lru.get(text);
    if (hit !== undefined) return hit;
    const cert = Object.freeze(parseDeviceCertificate(text));
    this.#lru.set(text, cert);
    return cert;
  }

  get size(): number {
    return this.#lru.size;
  }

  clear(): void {
    this.#lru.clear();
  }
}
