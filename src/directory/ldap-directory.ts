import type { Entry, Filter } from 'ldapts';
import { ChangeTracker } from './change-tracker.js';
import type { DeviceDirectory, DeviceQuery, DeviceRecord, DirectoryHealth, DirectoryStats } from './device-record.js';
import { decodeDevice, valueToString } from './decode-device.js';
import {
  BINARY_ATTRIBUTES, DEVICE_ATTRIBUTES, DEVICE_REGISTRATION_SERVICE_RDN, GUID_ATTRIBUTES, SHA1_TP_PUBKEY_PREFIX, SID_ATTRIBUTES, isBinaryAttribute,
} from './device-attributes.js';
import { DirectoryError } from './errors.js';
import { escapeFilterValue } from './escape-filter-value.js';
import { guidToBytes } from './guid-codec.js';
import { parseFilter } from './ldap-filter.js';
import { LdapPool, type LdapPoolOptions } from './ldap-pool.js';
import type { RawEntry, RawValue } from './raw-entry.js';
import { toLdaptsFilter } from './to-ldapts-filter.js';

const THUMBPRINT_RE = /^[0-9A-F]{40}$/;
const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DEVICE_ATTRS: string[] = [...DEVICE_ATTRIBUTES];
// ldapts matches explicitBufferAttributes case-sensitively against the name the server sends.
const BUFFER_ATTRS: string[] = [...new Set(BINARY_ATTRIBUTES.flatMap((a) => [a, a.toLowerCase()]))];
const ISSUER_ATTRS = ['msDS-IssuerPublicCertificates', 'msDS-CloudIssuerPublicCertificates'];

export interface LdapDirectoryOptions extends LdapPoolOptions {
  /** Domain DN; when absent, discovered from the RootDSE. */
  readonly baseDn?: string;
  /** Change-tracking poll interval, ms (default 1000; 0 = off, the cache TTL alone bounds staleness). */
  readonly changePollMs?: number;
}

interface Naming {
  readonly domainDn: string;
  readonly devicesDn: string;
  readonly drsDn: string;
}

export function toRawEntry(entry: Entry): RawEntry {
  const attributes = new Map<string, RawValue[]>();
  for (const key of Object.keys(entry)) {
    if (key === 'dn') continue;
    const value = entry[key];
    if (value === undefined) continue;
    const list: RawValue[] = Array.isArray(value) ? (value as RawValue[]) : [value as RawValue];
    if (list.length > 0) attributes.set(key.toLowerCase(), list);
  }
  return { dn: entry.dn, attributes };
}

function first(value: Entry[string] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.toString('utf8');
}

/** The LDAP backend (AD, Samba AD DC, slapd with the AD device schema). */
export class LdapDirectory implements DeviceDirectory {
  readonly backend = 'ldap' as const;
  readonly stats: DirectoryStats = { searches: 0, errors: 0 };
  readonly #pool: LdapPool;
  readonly #baseDn?: string;
  readonly #timeLimit: number;
  readonly #tracker: ChangeTracker;
  /** Follows device changes (polling starts with the first subscriber). A field, not a getter: proxies read it. */
  readonly changes: ChangeTracker;
  #naming?: Promise<Naming>;
  #resolved?: Naming;

  constructor(options: LdapDirectoryOptions) {
    this.#pool = new LdapPool(options);
    if (options.baseDn !== undefined) this.#baseDn = options.baseDn;
    // The server's own limit is whole seconds (Samba counts it from a second boundary, so 1 s can
    // expire at once): the attempt deadline is ours, this only stops runaway searches.
    this.#timeLimit = Math.max(2, Math.ceil(options.timeoutMs / 1000));
    this.#tracker = new ChangeTracker(this.#pool, () => this.#discover(), {
      intervalMs: options.changePollMs ?? 1000,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    this.changes = this.#tracker;
  }

  /** Operations answered by a later DC after an earlier one failed them. */
  failovers(): number {
    return this.#pool.failovers;
  }

  get description(): string {
    const base = this.#resolved?.devicesDn ?? (this.#baseDn !== undefined ? `CN=RegisteredDevices,${this.#baseDn}` : '(from RootDSE)');
    return `${this.#pool.urls.join(',')} base ${base}`;
  }

  /** RootDSE discovery, once (retried on the next call after a failure). */
  #discover(): Promise<Naming> {
    if (this.#resolved) return Promise.resolve(this.#resolved);
    this.#naming ??= this.#pool.run(async (client) => {
      const { searchEntries } = await client.search('', {
        scope: 'base',
        attributes: ['defaultNamingContext', 'namingContexts', 'configurationNamingContext'],
        timeLimit: this.#timeLimit,
      });
      const root = searchEntries[0];
      const domainDn = this.#baseDn ?? first(root?.defaultNamingContext) ?? first(root?.namingContexts);
      if (!domainDn) throw new DirectoryError('DG_ERR_DIRECTORY_CONFIG', 'the RootDSE names no naming context; give --base-dn', 'baseDn');
      const configDn = first(root?.configurationNamingContext) ?? `CN=Configuration,${domainDn}`;
      const naming = { domainDn, devicesDn: `CN=RegisteredDevices,${domainDn}`, drsDn: `${DEVICE_REGISTRATION_SERVICE_RDN},${configDn}` };
      this.#resolved = naming;
      return naming;
    }).catch((error: unknown) => {
      this.#naming = undefined;
      throw error;
    });
    return this.#naming;
  }

  async #search(base: string, filter: Filter, attributes: string[], buffers: string[], sizeLimit: number, scope: 'sub' | 'base' = 'sub'): Promise<Entry[]> {
    try {
      return await this.#pool.run(async (client) => {
        this.stats.searches++;
        const { searchEntries } = await client.search(base, { scope, filter, attributes, explicitBufferAttributes: buffers, sizeLimit, timeLimit: this.#timeLimit });
        return searchEntries;
      });
    } catch (error) {
      if (error instanceof DirectoryError && error.code === 'DG_ERR_DIRECTORY_SEARCH' && error.message.includes('NoSuchObject')) return [];
      this.stats.errors++;
      throw error;
    }
  }

  /** The filter text for a query (every value RFC 4515-escaped), or undefined when the input cannot match. */
  static queryFilter(query: DeviceQuery): string | undefined {
    switch (query.kind) {
      case 'key':
        return `(&(objectClass=msDS-Device)(altSecurityIdentities=${escapeFilterValue(query.key)}))`;
      case 'thumbprint': {
        const tp = query.thumbprint.toUpperCase();
        // Prefix match: anything but 40 hex digits could widen it, so it never reaches the server.
        if (!THUMBPRINT_RE.test(tp)) return undefined;
        return `(&(objectClass=msDS-Device)(altSecurityIdentities=${escapeFilterValue(SHA1_TP_PUBKEY_PREFIX + tp)}*))`;
      }
      case 'deviceId': {
        const id = query.deviceId.toLowerCase();
        if (!GUID_RE.test(id)) return undefined;
        return `(&(objectClass=msDS-Device)(msDS-DeviceID=${escapeFilterValue(guidToBytes(id))}))`;
      }
      default:
        return undefined;
    }
  }

  async find(query: DeviceQuery): Promise<DeviceRecord | undefined> {
    const text = LdapDirectory.queryFilter(query);
    if (text === undefined) return undefined;
    const naming = await this.#discover();
    const entries = await this.#search(naming.devicesDn, toLdaptsFilter(parseFilter(text)), DEVICE_ATTRS, BUFFER_ATTRS, 2);
    const entry = entries[0];
    if (!entry) return undefined;
    try {
      const record = decodeDevice(toRawEntry(entry));
      // Two objects for one key: report both, so the device is not believed (status ambiguous).
      return entries.length > 1 ? { ...record, duplicates: entries.slice(1).map((e) => e.dn) } : record;
    } catch (error) {
      this.stats.errors++;
      throw error;
    }
  }

  async issuerCertificates(): Promise<readonly Buffer[]> {
    const naming = await this.#discover();
    const entries = await this.#search(naming.drsDn, toLdaptsFilter(parseFilter('(objectClass=*)')), ISSUER_ATTRS, BUFFER_ATTRS, 1, 'base');
    const raw = entries[0] ? toRawEntry(entries[0]) : undefined;
    if (!raw) return [];
    return ISSUER_ATTRS.flatMap((a) => (raw.attributes.get(a.toLowerCase()) ?? []).map((v) => (typeof v === 'string' ? Buffer.from(v, 'latin1') : v)));
  }

  async searchAttributes(filter: string, attributes: readonly string[], sizeLimit = 100): Promise<readonly Readonly<Record<string, readonly string[]>>[]> {
    const node = toLdaptsFilter(parseFilter(filter));
    const naming = await this.#discover();
    const wanted = attributes.filter((a) => a.toLowerCase() !== 'dn');
    const buffers = [...new Set(wanted.filter(isBinaryAttribute).flatMap((a) => [a, a.toLowerCase()]))];
    // A partial answer would silently drop what deny rules look for: fail instead. ldapts returns the
    // entries of a sizeLimitExceeded result without an error, so ask for one more and count.
    const tooMany = (): DirectoryError => new DirectoryError('DG_ERR_DIRECTORY_SIZE_LIMIT', `the attribute search matched more than ${sizeLimit} entries`);
    let entries: Entry[];
    try {
      entries = await this.#search(naming.domainDn, node, wanted.length > 0 ? wanted : ['1.1'], buffers, sizeLimit + 1);
    } catch (error) {
      if (error instanceof DirectoryError && error.message.includes('SizeLimitExceeded')) throw tooMany();
      throw error;
    }
    if (entries.length > sizeLimit) throw tooMany();
    return entries.map((entry) => {
      const raw = toRawEntry(entry);
      const row: Record<string, string[]> = {};
      for (const name of attributes) {
        const lower = name.toLowerCase();
        const values = raw.attributes.get(lower);
        if (values && values.length > 0) row[name] = values.map((v) => valueToString(lower, v, SID_ATTRIBUTES, GUID_ATTRIBUTES));
        else if (lower === 'distinguishedname' || lower === 'dn') row[name] = [entry.dn];
      }
      return row;
    });
  }

  /** A paged search (pages of up to 1000, AD's MaxPageSize) for at most `limit` device objects. */
  async sampleDevices(limit: number): Promise<readonly DeviceRecord[]> {
    const naming = await this.#discover();
    const filter = toLdaptsFilter(parseFilter('(objectClass=msDS-Device)'));
    const entries = await this.#pool.run(async (client) => {
      const found: Entry[] = [];
      this.stats.searches++;
      const pages = client.searchPaginated(naming.devicesDn, {
        scope: 'sub',
        filter,
        attributes: DEVICE_ATTRS,
        explicitBufferAttributes: BUFFER_ATTRS,
        paged: { pageSize: Math.max(1, Math.min(1000, limit)) },
      });
      for await (const page of pages) {
        found.push(...page.searchEntries);
        if (found.length >= limit) break;
      }
      return found.slice(0, limit);
    });
    const out: DeviceRecord[] = [];
    for (const entry of entries) {
      try {
        out.push(decodeDevice(toRawEntry(entry)));
      } catch {
        this.stats.errors++; // an undecodable object is left out of the sample
      }
    }
    return out;
  }

  /**
   * Cheap: DCs in rotation that answered in the last few seconds are not contacted; DCs out of
   * rotation report their breaker state (they are probed in the background).
   */
  async health(): Promise<DirectoryHealth> {
    await this.#pool.probe();
    const servers = this.#pool.state();
    const up = servers.filter((s) => s.ok).length;
    return { ok: up > 0, backend: 'ldap', detail: `${up}/${servers.length} domain controllers answering`, servers, changeTracking: this.#tracker.state() };
  }

  async close(): Promise<void> {
    this.#tracker.close();
    await this.#pool.close();
  }
}

