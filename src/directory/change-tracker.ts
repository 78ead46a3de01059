import { Control, type Client, type Entry } from 'ldapts';
import type { ChangeBatch, ChangeTracking, ChangeTrackingState, DirectoryChange } from './device-record.js';
import { SILENT_LOGGER, type DirectoryLogger } from './directory-logger.js';
import { escapeFilterValue } from './escape-filter-value.js';
import { bytesToGuid, guidToBytes } from './guid-codec.js';
import type { LdapPool } from './ldap-pool.js';

/** LDAP_SERVER_SHOW_DELETED_OID: tombstones become visible to searches (AD, Samba). */
const SHOW_DELETED = '1.2.840.113556.1.4.417';
/** Changes read per poll; more than this in one interval drops the whole cache instead. */
const MAX_CHANGES = 1000;
/** objectGUIDs per presence-check search. */
const PRESENCE_CHUNK = 200;

export interface TrackedNaming {
  readonly domainDn: string;
  readonly devicesDn: string;
}

export interface ChangeTrackerOptions {
  /** Poll interval, ms (default 1000). 0 turns tracking off. */
  readonly intervalMs: number;
  readonly logger?: DirectoryLogger;
}

type Cursor =
  | { readonly mode: 'usn'; readonly url: string; usn: bigint }
  | { readonly mode: 'accesslog'; readonly url: string; base: string; time: string; atTime: Set<string> }
  | { readonly mode: 'none'; readonly url: string };

function first(entry: Entry | undefined, name: string): string | undefined {
  const value = entry?.[name];
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.toString('utf8');
}

function guidToText(value: Entry[string] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return Buffer.isBuffer(v) && v.length === 16 ? bytesToGuid(v) : undefined;
}

function attr(entry: Entry, name: string): Entry[string] | undefined {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : entry[key];
}

/** GeneralizedTime with microseconds, as slapd's accesslog writes reqStart (YYYYMMDDhhmmss.ffffffZ). */
function generalizedTime(ms: number): string {
  return `${new Date(ms).toISOString().replace(/[-:T]/g, '').replace(/\.(\d{3})Z$/, '.$1000Z')}`;
}

/**
 * Follows changes to device objects by polling what the server offers a plain reader:
 * - AD / Samba: `uSNChanged` above the last `highestCommittedUSN` under CN=RegisteredDevices, and
 *   tombstones (Show Deleted control) under CN=Deleted Objects where the account may read them;
 * - slapd: its `cn=accesslog` database (accesslog overlay) when readable.
 * USNs and logs are per DC: when tracking moves to another DC (or starts), listeners get a reset.
 * A failed poll is logged once and listeners get a reset when tracking resumes, so the cache falls
 * back to its TTL meanwhile and never serves past a change it may have missed.
 */
export class ChangeTracker implements ChangeTracking {
  readonly #pool: LdapPool;
  readonly #naming: () => Promise<TrackedNaming>;
  readonly #intervalMs: number;
  readonly #log: DirectoryLogger;
  readonly #listeners = new Set<(batch: ChangeBatch) => void>();
  readonly #watched = new Set<() => Iterable<string>>();
  #cursor?: Cursor;
  #timer?: NodeJS.Timeout;
  #running = false;
  #closed = false;
  #ok = false;
  #failing = false;
  #deletions?: 'tombstones' | 'presence' | 'accesslog' | 'none';
  #lastPollAt?: number;
  #lastChangeAt?: number;
  #lastError?: string;
  /** Changes delivered since start. */
  changesSeen = 0;
  polls = 0;

  constructor(pool: LdapPool, naming: () => Promise<TrackedNaming>, options: ChangeTrackerOptions) {
    this.#pool = pool;
    this.#naming = naming;
    this.#intervalMs = options.intervalMs;
    this.#log = options.logger ?? SILENT_LOGGER;
  }

  subscribe(listener: (batch: ChangeBatch) => void, watched?: () => Iterable<string>): () => void {
    this.#listeners.add(listener);
    if (watched) this.#watched.add(watched);
    if (this.#intervalMs > 0 && !this.#running && !this.#closed) {
      this.#running = true;
      this.#schedule(0);
    }
    return () => {
      this.#listeners.delete(listener);
      if (watched) this.#watched.delete(watched);
    };
  }

  state(): ChangeTrackingState {
    const now = Date.now();
    const mode = this.#intervalMs <= 0 ? 'none' : (this.#cursor?.mode ?? 'starting');
    return {
      mode,
      ok: this.#ok,
      intervalMs: this.#intervalMs,
      ...(this.#cursor ? { server: this.#cursor.url } : {}),
      ...(this.#lastPollAt !== undefined ? { lastPollAgeMs: now - this.#lastPollAt } : {}),
      ...(this.#lastChangeAt !== undefined ? { lastChangeAgeMs: now - this.#lastChangeAt } : {}),
      ...(this.#deletions !== undefined ? { deletions: this.#deletions } : {}),
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
    };
  }

  /** One poll now (tests; the timer calls it too). */
  async poll(): Promise<void> {
    let batch: ChangeBatch | undefined;
    try {
      const naming = await this.#naming();
      batch = await this.#pool.run((client, url) => this.#pollOn(client, url, naming));
      this.polls++;
      this.#lastPollAt = Date.now();
      this.#ok = this.#cursor?.mode !== 'none';
      this.#lastError = undefined;
      if (this.#failing) {
        this.#failing = false;
        this.#log.info({ dc: this.#cursor?.url, mode: this.#cursor?.mode }, 'change tracking resumed; cached devices dropped (changes may have been missed)');
        batch = { reset: true, reason: 'change tracking resumed after a failure' };
      }
    } catch (error) {
      if (this.#closed) return;
      this.#ok = false;
      this.#lastError = (error as Error).message;
      if (!this.#failing) {
        this.#failing = true;
        this.#log.warn({ code: (error as { code?: string }).code, reason: this.#lastError }, 'change tracking failed; cached devices live at most their TTL until it resumes');
      }
      return;
    }
    if (batch === undefined) return;
    if (!batch.reset && batch.changes.length === 0) return;
    if (!batch.reset) {
      this.changesSeen += batch.changes.length;
      this.#lastChangeAt = Date.now();
    }
    for (const listener of this.#listeners) {
      try {
        listener(batch);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  #schedule(delay: number): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      const started = Date.now();
      void this.poll().finally(() => this.#schedule(Math.max(0, this.#intervalMs - (Date.now() - started))));
    }, delay);
    this.#timer.unref();
  }

  /** Sets up a cursor on this DC; a cursor that belonged to another DC means a reset. */
  async #start(client: Client, url: string, naming: TrackedNaming): Promise<ChangeBatch | undefined> {
    const previous = this.#cursor;
    const { searchEntries } = await client.search('', { scope: 'base', attributes: ['highestCommittedUSN', 'namingContexts'] });
    const root = searchEntries[0];
    const usn = first(root, 'highestCommittedUSN');
    const contexts = root?.namingContexts;
    const list = (Array.isArray(contexts) ? contexts : contexts === undefined ? [] : [contexts]).map((c) => (typeof c === 'string' ? c : c.toString('utf8')));
    const accesslog = list.find((c) => /^cn=accesslog$/i.test(c.trim()));
    if (usn !== undefined && /^\d+$/.test(usn)) {
      this.#cursor = { mode: 'usn', url, usn: BigInt(usn) };
      // Tombstones are read with Show Deleted, but AD hides them from most accounts without an error:
      // deletions count as seen by presence checks until the first tombstone shows up.
      if (this.#deletions !== 'tombstones') this.#deletions = 'presence';
    } else if (accesslog !== undefined) {
      // The log's clock is the DC's: start a minute back (replays only drop entries, never miss one).
      this.#cursor = { mode: 'accesslog', url, base: accesslog, time: generalizedTime(Date.now() - 60_000), atTime: new Set() };
      this.#deletions = 'accesslog';
    } else {
      this.#cursor = { mode: 'none', url };
      this.#deletions = 'none';
    }
    const fields = { dc: url, mode: this.#cursor.mode, deletions: this.#deletions, devices: naming.devicesDn, intervalMs: this.#intervalMs };
    if (this.#cursor.mode === 'none') this.#log.warn(fields, 'change tracking unavailable on this directory (no highestCommittedUSN, no readable cn=accesslog); cached devices live their TTL');
    else this.#log.info(fields, previous ? `change tracking moved from ${previous.url}` : 'change tracking started');
    return previous ? { reset: true, reason: `change tracking moved from ${previous.url} to ${url}` } : undefined;
  }

  async #pollOn(client: Client, url: string, naming: TrackedNaming): Promise<ChangeBatch | undefined> {
    if (this.#cursor === undefined || this.#cursor.url !== url) return this.#start(client, url, naming);
    const cursor = this.#cursor;
    if (cursor.mode === 'usn') return this.#pollUsn(client, cursor, naming);
    if (cursor.mode === 'accesslog') return this.#pollAccesslog(client, cursor, naming);
    return undefined;
  }

  async #pollUsn(client: Client, cursor: Cursor & { mode: 'usn' }, naming: TrackedNaming): Promise<ChangeBatch | undefined> {
    const { searchEntries } = await client.search('', { scope: 'base', attributes: ['highestCommittedUSN'] });
    const text = first(searchEntries[0], 'highestCommittedUSN');
    if (text === undefined || !/^\d+$/.test(text)) throw new Error(`${cursor.url}: RootDSE has no highestCommittedUSN`);
    const highest = BigInt(text);
    if (highest < cursor.usn) {
      cursor.usn = highest;
      return { reset: true, reason: `${cursor.url}: highestCommittedUSN went back (restored DC?)` };
    }
    if (highest === cursor.usn) return undefined;
    const from = (cursor.usn + 1n).toString();
    const changes: DirectoryChange[] = [];
    try {
      const live = await client.search(naming.devicesDn, {
        scope: 'sub',
        filter: `(&(objectClass=msDS-Device)(uSNChanged>=${from}))`,
        attributes: ['objectGUID', 'uSNCreated'],
        explicitBufferAttributes: ['objectGUID', 'objectguid'],
        sizeLimit: MAX_CHANGES,
      });
      for (const e of live.searchEntries) {
        const guid = guidToText(attr(e, 'objectGUID'));
        const created = first(e, 'uSNCreated');
        changes.push({ kind: created !== undefined && BigInt(created) > cursor.usn ? 'add' : 'modify', dn: e.dn, ...(guid ? { objectGuid: guid } : {}) });
      }
    } catch (error) {
      if ((error as Error).constructor.name === 'SizeLimitExceededError') {
        cursor.usn = highest;
        return { reset: true, reason: `more than ${MAX_CHANGES} device changes in one poll` };
      }
      if ((error as Error).constructor.name !== 'NoSuchObjectError') throw error;
    }
    {
      try {
        const dead = await client.search(`CN=Deleted Objects,${naming.domainDn}`, {
          scope: 'one',
          filter: `(&(objectClass=msDS-Device)(isDeleted=TRUE)(uSNChanged>=${from}))`,
          attributes: ['objectGUID'],
          explicitBufferAttributes: ['objectGUID', 'objectguid'],
          sizeLimit: MAX_CHANGES,
        }, [new Control(SHOW_DELETED, { critical: true })]);
        for (const e of dead.searchEntries) {
          const guid = guidToText(attr(e, 'objectGUID'));
          changes.push({ kind: 'delete', dn: e.dn, ...(guid ? { objectGuid: guid } : {}) });
        }
        if (dead.searchEntries.length > 0 && this.#deletions !== 'tombstones') {
          this.#deletions = 'tombstones';
          this.#log.info({ dc: cursor.url }, 'change tracking reads deleted devices (Show Deleted permitted); presence checks stop');
        }
      } catch (error) {
        if ((error as Error).constructor.name === 'SizeLimitExceededError') {
          cursor.usn = highest;
          return { reset: true, reason: `more than ${MAX_CHANGES} device deletions in one poll` };
        }
        if (this.#deletions === 'tombstones') throw error;
        // Not permitted (or no such container): presence checks cover deletions.
      }
    }
    if (this.#deletions !== 'tombstones') changes.push(...(await this.#missing(client, naming)));
    cursor.usn = highest;
    return { reset: false, changes };
  }

  /**
   * Where tombstones are hidden from the account (AD's default): the objectGUIDs subscribers hold
   * are looked up (indexed OR filters of PRESENCE_CHUNK); those gone are reported deleted. Runs only
   * when the DC's USN moved, so an idle directory costs nothing.
   */
  async #missing(client: Client, naming: TrackedNaming): Promise<DirectoryChange[]> {
    const wanted = new Set<string>();
    for (const watched of this.#watched) for (const guid of watched()) wanted.add(guid);
    const all = [...wanted];
    const gone: DirectoryChange[] = [];
    for (let i = 0; i < all.length; i += PRESENCE_CHUNK) {
      const chunk = all.slice(i, i + PRESENCE_CHUNK);
      const terms = chunk.map((g) => `(objectGUID=${escapeFilterValue(guidToBytes(g))})`).join('');
      const { searchEntries } = await client.search(naming.devicesDn, {
        scope: 'sub',
        filter: `(&(objectClass=msDS-Device)(|${terms}))`,
        attributes: ['objectGUID'],
        explicitBufferAttributes: ['objectGUID', 'objectguid'],
        sizeLimit: chunk.length + 1,
      });
      const present = new Set(searchEntries.map((e) => guidToText(attr(e, 'objectGUID'))));
      for (const g of chunk) if (!present.has(g)) gone.push({ kind: 'delete', objectGuid: g });
    }
    return gone;
  }

  async #pollAccesslog(client: Client, cursor: Cursor & { mode: 'accesslog' }, naming: TrackedNaming): Promise<ChangeBatch | undefined> {
    let entries: Entry[];
    try {
      ({ searchEntries: entries } = await client.search(cursor.base, {
        scope: 'one',
        filter: `(&(objectClass=auditWriteObject)(reqResult=0)(reqStart>=${cursor.time}))`,
        attributes: ['reqStart', 'reqType', 'reqDN', 'reqNewRDN', 'reqNewSuperior'],
        sizeLimit: MAX_CHANGES,
      }));
    } catch (error) {
      if ((error as Error).constructor.name === 'SizeLimitExceededError') {
        cursor.time = generalizedTime(Date.now() - 1000);
        cursor.atTime.clear();
        return { reset: true, reason: `more than ${MAX_CHANGES} directory writes in one poll` };
      }
      throw error;
    }
    const suffix = `,${naming.devicesDn.toLowerCase()}`;
    const changes: DirectoryChange[] = [];
    let latest = cursor.time;
    const atLatest = new Set<string>();
    for (const e of entries) {
      const start = first(e, 'reqStart') ?? '';
      if (start === cursor.time && cursor.atTime.has(e.dn)) continue;
      if (start > latest) {
        latest = start;
        atLatest.clear();
      }
      if (start === latest) atLatest.add(e.dn);
      const dn = first(e, 'reqDN') ?? '';
      if (!dn.toLowerCase().endsWith(suffix)) continue;
      const type = (first(e, 'reqType') ?? '').toLowerCase();
      changes.push({ kind: type === 'add' ? 'add' : type === 'delete' || type === 'modrdn' ? 'delete' : 'modify', dn });
    }
    if (latest !== cursor.time) {
      cursor.time = latest;
      cursor.atTime = atLatest;
    } else {
      for (const dn of atLatest) cursor.atTime.add(dn);
    }
    return { reset: false, changes };
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#listeners.clear();
  }
}
