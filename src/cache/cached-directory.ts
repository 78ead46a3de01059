import { LRUCache } from 'lru-cache';
import type { ChangeBatch, DeviceDirectory, DeviceQuery, DeviceRecord } from '../directory/index.js';

export type CacheSource = 'cache' | 'directory' | 'stale_cache';

export interface CachedAnswer {
  readonly record: DeviceRecord | undefined;
  readonly source: CacheSource;
}

export interface DeviceCacheOptions {
  /** Entries kept at most (default 10,000). */
  readonly max?: number;
  /** Fresh lifetime of a found device, ms (default 60,000). 0 disables caching. */
  readonly ttlMs?: number;
  /** Fresh lifetime of a not-found answer, ms (default 10,000). */
  readonly negativeTtlMs?: number;
  /** How long past freshness an entry may still answer when the directory fails, ms (default 0 = never: an outage never extends a permit). */
  readonly staleIfErrorMs?: number;
  /** Clock in ms (tests); default performance.now. */
  readonly now?: () => number;
}

export interface CacheCounters {
  hits: number;
  misses: number;
  /** Answers served stale because the directory failed. */
  stale: number;
  /** Directory failures seen by the cache (served stale or not). */
  errors: number;
  /** Misses that joined a search already in flight (single-flight). */
  coalesced: number;
  /** Entries dropped because change tracking reported their device changed (or a reset). */
  invalidated: number;
}

/** A DeviceDirectory with a cache in front; `lookup` also says where each answer came from. */
export interface CachedDeviceDirectory extends DeviceDirectory {
  readonly inner: DeviceDirectory;
  readonly counters: Readonly<CacheCounters>;
  lookup(query: DeviceQuery): Promise<CachedAnswer>;
  /**
   * The fresh cached answer, synchronously, or undefined (then call lookup). Counts a hit when it
   * answers; never searches. The hot path of a cached decision: no promise, no allocation.
   */
  peek(query: DeviceQuery): CachedAnswer | undefined;
  /** Purge entries for one device (cache key, thumbprint, device ID or key) or all; returns how many went. */
  purge(key?: string): number;
  /** Apply a batch of directory changes: drop the entries of changed devices and every not-found answer. */
  applyChanges(batch: ChangeBatch): number;
  readonly size: number;
}

const NOT_FOUND = Symbol('not found');

interface Entry {
  readonly value: DeviceRecord | typeof NOT_FOUND;
  readonly freshUntil: number;
  readonly staleUntil: number;
  /** The answer every fresh hit gives (made once per entry). */
  readonly hit: CachedAnswer;
}

/** Keys of frozen queries (one per remembered certificate parse): a key query's key is ~100 characters to hash. */
const frozenKeys = new WeakMap<DeviceQuery, string>();

/** Normalized cache key of a query (values are already normalized by the caller). */
export function cacheKey(query: DeviceQuery): string {
  if (!Object.isFrozen(query)) return keyOf(query);
  let key = frozenKeys.get(query);
  if (key === undefined) frozenKeys.set(query, (key = keyOf(query)));
  return key;
}

function keyOf(query: DeviceQuery): string {
  switch (query.kind) {
    case 'thumbprint':
      return `t:${query.thumbprint}`;
    case 'key':
      return `k:${query.key}`;
    case 'deviceId':
      return `d:${query.deviceId}`;
  }
}

const HEX40 = /^[0-9A-F]{40}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function createCachedDirectory(inner: DeviceDirectory, options: DeviceCacheOptions = {}): CachedDeviceDirectory {
  const ttl = options.ttlMs ?? 60_000;
  const negativeTtl = options.negativeTtlMs ?? 10_000;
  const staleIfError = options.staleIfErrorMs ?? 0;
  const clock = options.now ?? (() => performance.now());
  const lru = new LRUCache<string, Entry>({
    max: options.max ?? 10_000,
    // lru-cache drops an entry once it is past its stale-if-error bound; freshness is ours to judge.
    ttl: Math.max(ttl, negativeTtl) + staleIfError || 1,
    ttlResolution: 0,
    perf: { now: clock },
  });
  const inflight = new Map<string, Promise<CachedAnswer>>();
  const counters: CacheCounters = { hits: 0, misses: 0, stale: 0, errors: 0, coalesced: 0, invalidated: 0 };
  /** Bumped by every invalidation: an answer fetched across one is handed out but not stored. */
  let generation = 0;

  async function fetchAndStore(key: string, query: DeviceQuery, previous: Entry | undefined): Promise<CachedAnswer> {
    const startedIn = generation;
    try {
      const record = await inner.find(query);
      const life = record === undefined ? negativeTtl : ttl;
      if (life > 0 && startedIn === generation) {
        const now = clock();
        const hit: CachedAnswer = Object.freeze({ record, source: 'cache' });
        lru.set(key, { value: record ?? NOT_FOUND, freshUntil: now + life, staleUntil: now + life + staleIfError, hit }, { ttl: life + staleIfError });
      }
      return { record, source: 'directory' };
    } catch (error) {
      counters.errors++;
      if (previous !== undefined && clock() <= previous.staleUntil) {
        counters.stale++;
        return { record: previous.value === NOT_FOUND ? undefined : previous.value, source: 'stale_cache' };
      }
      throw error;
    } finally {
      inflight.delete(key);
    }
  }

  function peek(query: DeviceQuery): CachedAnswer | undefined {
    const entry = lru.get(cacheKey(query));
    if (entry === undefined || clock() >= entry.freshUntil) return undefined;
    counters.hits++;
    return entry.hit;
  }

  function lookup(query: DeviceQuery): Promise<CachedAnswer> {
    const key = cacheKey(query);
    const entry = lru.get(key);
    if (entry !== undefined && clock() < entry.freshUntil) {
      counters.hits++;
      return Promise.resolve(entry.hit);
    }
    counters.misses++;
    const running = inflight.get(key);
    if (running !== undefined) {
      counters.coalesced++;
      return running;
    }
    const promise = fetchAndStore(key, query, entry);
    inflight.set(key, promise);
    return promise;
  }

  function matches(cacheKeyText: string, entry: Entry, wanted: string): boolean {
    if (cacheKeyText === wanted) return true;
    const bare = wanted.replace(/^[tkd]:/, '');
    if (cacheKeyText.slice(2) === bare) return true;
    if (HEX40.test(bare) && cacheKeyText.startsWith('k:') && cacheKeyText.includes(bare)) return true;
    if (entry.value === NOT_FOUND) return false;
    if (GUID.test(bare)) return entry.value.deviceId === bare;
    if (HEX40.test(bare)) return entry.value.altSecurityIdentities.some((v) => v.toUpperCase().includes(bare));
    return entry.value.altSecurityIdentities.includes(bare);
  }

  function purge(key?: string): number {
    if (key === undefined) {
      const n = lru.size;
      lru.clear();
      return n;
    }
    const wanted = key.trim();
    const doomed: string[] = [];
    // lru-cache keeps entries until their stale-if-error bound, so this also drops what could be served stale.
    for (const [k, entry] of lru.entries()) {
      if (matches(k, entry, wanted)) doomed.push(k);
    }
    for (const k of doomed) lru.delete(k);
    return doomed.length;
  }

  function applyChanges(batch: ChangeBatch): number {
    generation++;
    if (batch.reset) {
      const n = lru.size;
      lru.clear();
      counters.invalidated += n;
      return n;
    }
    if (batch.changes.length === 0) return 0;
    const dns = new Set<string>();
    const guids = new Set<string>();
    for (const change of batch.changes) {
      if (change.dn !== undefined) dns.add(change.dn.toLowerCase());
      if (change.objectGuid !== undefined) guids.add(change.objectGuid);
    }
    const doomed: string[] = [];
    for (const [k, entry] of lru.entries()) {
      // A not-found answer may be for a device just added or changed: drop them all (they are short-lived).
      if (entry.value === NOT_FOUND || dns.has(entry.value.dn.toLowerCase()) || (entry.value.objectGuid !== undefined && guids.has(entry.value.objectGuid))) doomed.push(k);
    }
    for (const k of doomed) lru.delete(k);
    counters.invalidated += doomed.length;
    return doomed.length;
  }

  function* watchedGuids(): Iterable<string> {
    for (const entry of lru.values()) if (entry.value !== NOT_FOUND && entry.value.objectGuid !== undefined) yield entry.value.objectGuid;
  }

  const unsubscribe = inner.changes && (ttl > 0 || negativeTtl > 0) ? inner.changes.subscribe(applyChanges, watchedGuids) : undefined;

  return {
    backend: inner.backend,
    get description() {
      return `${inner.description} (cached)`;
    },
    get stats() {
      return inner.stats;
    },
    inner,
    counters,
    get size() {
      return lru.size;
    },
    lookup,
    peek,
    purge,
    applyChanges,
    async find(query) {
      return (await lookup(query)).record;
    },
    issuerCertificates: () => inner.issuerCertificates(),
    searchAttributes: (filter, attributes, sizeLimit) => inner.searchAttributes(filter, attributes, sizeLimit),
    health: () => inner.health(),
    close: () => {
      unsubscribe?.();
      return inner.close();
    },
  };
}
