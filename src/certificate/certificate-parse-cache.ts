import { LRUCache } from 'lru-cache';
import { parseDeviceCertificate, type DeviceCertificate } from './device-certificate.js';

export interface CertificateParseCacheOptions {
  /** Distinct presented certificates remembered (default 10000). */
  readonly maxEntries?: number;
  /** Bound on the characters of remembered presentations plus their DER bytes (default 32 MiB). */
  readonly maxBytes?: number;
}

/** Characters from the end of a presentation that go into its key: the signature's base64 and the armor. */
const TAIL = 96;

interface Remembered {
  readonly text: string;
  readonly cert: DeviceCertificate;
}

/**
 * Parsing a presented certificate (PEM/base64 -> DER, ASN.1 walk, SHA-1 and SHA-256) costs 10-20 µs
 * and most of a cached decision's garbage; a relying party presents the same device certificate again
 * and again. The parse is a pure function of the presented text, so its result is remembered in a
 * bounded LRU. Only the parse: validity at the decision time, the issuer chain and the device ID
 * agreement are still checked on every decision (checkDeviceCertificate). Input that does not parse
 * is not remembered (it throws every time, as before).
 *
 * The key is the text's length and its last 96 characters, not the whole text: a request's text is a
 * new string, and hashing all of it for a Map look-up cost 1.9 µs per certificate decision
 * (bench/http); the tail carries the signature, so distinct certificates get distinct keys. A hit is
 * only a hit when the whole remembered text equals the presented one; two texts with one key just
 * replace each other.
 */
export class CertificateParseCache {
  readonly #lru: LRUCache<string, Remembered>;

  constructor(options: CertificateParseCacheOptions = {}) {
    this.#lru = new LRUCache<string, Remembered>({
      max: options.maxEntries ?? 10_000,
      maxSize: options.maxBytes ?? 32 * 1024 * 1024,
      sizeCalculation: (entry) => entry.text.length + entry.cert.der.length + 256,
    });
  }

  /** parseDeviceCertificate(text), remembered; the returned object is frozen and shared. */
  parse(text: string): DeviceCertificate {
    const key = `${text.length}:${text.slice(-TAIL)}`;
    const hit = this.#lru.get(key);
    if (hit !== undefined && hit.text === text) return hit.cert;
    const cert = Object.freeze(parseDeviceCertificate(text));
    this.#lru.set(key, { text, cert });
    return cert;
  }

  get size(): number {
    return this.#lru.size;
  }

  clear(): void {
    this.#lru.clear();
  }
}
