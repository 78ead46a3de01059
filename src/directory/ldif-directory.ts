import { readTextFile } from '../text/index.js';
import { resolve } from 'node:path';
import type { DeviceDirectory, DeviceQuery, DeviceRecord, DirectoryHealth, DirectoryStats } from './device-record.js';
import { decodeDevice, valueToString } from './decode-device.js';
import { DEVICE_REGISTRATION_SERVICE_RDN, GUID_ATTRIBUTES, SHA1_TP_PUBKEY_PREFIX, SID_ATTRIBUTES } from './device-attributes.js';
import { DirectoryError } from './errors.js';
import { guidToBytes } from './guid-codec.js';
import { parseFilter } from './ldap-filter.js';
import { matchFilter } from './match-filter.js';
import { parseLdif, type LdifEntry } from './parse-ldif.js';
import { rawBytes, rawText } from './raw-entry.js';

const THUMBPRINT_RE = /^[0-9A-F]{40}$/;
const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PREFIX_UPPER = SHA1_TP_PUBKEY_PREFIX.toUpperCase();
const DRS_DN_PREFIX = `${DEVICE_REGISTRATION_SERVICE_RDN},CN=Configuration,`.toLowerCase();

function hasClass(entry: LdifEntry, cls: string): boolean {
  const lower = cls.toLowerCase();
  return entry.attributes.get('objectclass')?.some((v) => rawText(v).toLowerCase() === lower) ?? false;
}

function normalizeDn(dn: string): string {
  return dn.replace(/\s*,\s*/g, ',').toLowerCase();
}

/** The embedded backend: a whole LDIF file in memory, indexed like AD indexes the device attributes. */
export class LdifDirectory implements DeviceDirectory {
  readonly backend = 'ldif' as const;
  readonly description: string;
  readonly stats: DirectoryStats = { searches: 0, errors: 0 };
  readonly #byKey = new Map<string, LdifEntry>();
  readonly #byThumbprint = new Map<string, LdifEntry>();
  readonly #byDeviceIdHex = new Map<string, LdifEntry>();
  readonly #decoded = new WeakMap<LdifEntry, DeviceRecord>();
  /** Index keys that more than one device object holds (as in AD, nothing stops that): every holder. */
  readonly #shared = new Map<string, LdifEntry[]>();
  readonly #others: LdifEntry[] = [];
  readonly #issuers: Buffer[] = [];
  readonly #deviceCount: number;
  #closed = false;

  constructor(text: string, file: string) {
    const entries = parseLdif(text, file);
    let devices = 0;
    for (const entry of entries) {
      if (hasClass(entry, 'msDS-Device')) {
        devices++;
        for (const value of entry.attributes.get('altsecurityidentities') ?? []) {
          const key = rawText(value);
          const lower = key.toLowerCase();
          this.#index(this.#byKey, `key:${lower}`, lower, entry);
          if (key.toUpperCase().startsWith(PREFIX_UPPER)) {
            const tp = key.slice(PREFIX_UPPER.length, PREFIX_UPPER.length + 40).toUpperCase();
            this.#index(this.#byThumbprint, `tp:${tp}`, tp, entry);
          }
        }
        const id = entry.attributes.get('msds-deviceid')?.[0];
        if (id !== undefined) {
          const hex = rawBytes(id).toString('hex');
          this.#index(this.#byDeviceIdHex, `id:${hex}`, hex, entry);
        }
        continue;
      }
      this.#others.push(entry);
      if (hasClass(entry, 'msDS-DeviceRegistrationService') || normalizeDn(entry.dn).startsWith(DRS_DN_PREFIX)) {
        for (const name of ['msds-issuerpubliccertificates', 'msds-cloudissuerpubliccertificates']) {
          for (const v of entry.attributes.get(name) ?? []) this.#issuers.push(rawBytes(v));
        }
      }
    }
    this.#deviceCount = devices;
    this.description = `ldif:${file} (${devices} devices)`;
  }

  /** First holder goes into the index; a different second holder makes the key shared. */
  #index(map: Map<string, LdifEntry>, sharedKey: string, key: string, entry: LdifEntry): void {
    const first = map.get(key);
    if (first === undefined) map.set(key, entry);
    else if (first !== entry) {
      const holders = this.#shared.get(sharedKey) ?? [first];
      if (!holders.includes(entry)) holders.push(entry);
      this.#shared.set(sharedKey, holders);
    }
  }

  /** The record for an index hit; with other holders of the same key, their DNs as `duplicates`. */
  #found(sharedKey: string, entry: LdifEntry | undefined): DeviceRecord | undefined {
    const record = this.#decode(entry);
    const holders = this.#shared.get(sharedKey);
    if (record === undefined || holders === undefined) return record;
    return { ...record, duplicates: holders.filter((h) => h !== entry).map((h) => h.dn) };
  }

  #check(): void {
    if (this.#closed) throw new DirectoryError('DG_ERR_DIRECTORY_CLOSED', 'the directory is closed');
  }

  #decode(entry: LdifEntry | undefined): DeviceRecord | undefined {
    if (!entry) return undefined;
    let record = this.#decoded.get(entry);
    if (!record) {
      try {
        record = decodeDevice(entry);
      } catch (error) {
        this.stats.errors++;
        throw error;
      }
      this.#decoded.set(entry, record);
    }
    return record;
  }

  async find(query: DeviceQuery): Promise<DeviceRecord | undefined> {
    this.#check();
    this.stats.searches++;
    switch (query.kind) {
      case 'key': {
        const key = query.key.toLowerCase();
        return this.#found(`key:${key}`, this.#byKey.get(key));
      }
      case 'thumbprint': {
        const tp = query.thumbprint.toUpperCase();
        return THUMBPRINT_RE.test(tp) ? this.#found(`tp:${tp}`, this.#byThumbprint.get(tp)) : undefined;
      }
      case 'deviceId': {
        const id = query.deviceId.toLowerCase();
        if (!GUID_RE.test(id)) return undefined;
        const hex = guidToBytes(id).toString('hex');
        return this.#found(`id:${hex}`, this.#byDeviceIdHex.get(hex));
      }
      default:
        return undefined;
    }
  }

  async issuerCertificates(): Promise<readonly Buffer[]> {
    this.#check();
    this.stats.searches++;
    return this.#issuers.slice();
  }

  async searchAttributes(filter: string, attributes: readonly string[], sizeLimit = 100): Promise<readonly Readonly<Record<string, readonly string[]>>[]> {
    this.#check();
    this.stats.searches++;
    const node = parseFilter(filter);
    const out: Record<string, string[]>[] = [];
    for (const entry of this.#others) {
      if (!matchFilter(node, entry)) continue;
      // As an LDAP server's size limit: more matches than the limit is an error, never a partial list.
      if (out.length >= sizeLimit) throw new DirectoryError('DG_ERR_DIRECTORY_SIZE_LIMIT', `the attribute search matched more than ${sizeLimit} entries`);
      const row: Record<string, string[]> = {};
      for (const name of attributes) {
        const lower = name.toLowerCase();
        const values = entry.attributes.get(lower);
        if (values && values.length > 0) row[name] = values.map((v) => valueToString(lower, v, SID_ATTRIBUTES, GUID_ATTRIBUTES));
        else if (lower === 'distinguishedname' || lower === 'dn') row[name] = [entry.dn];
      }
      out.push(row);
    }
    return out;
  }

  async sampleDevices(limit: number): Promise<readonly DeviceRecord[]> {
    this.#check();
    const seen = new Set<LdifEntry>();
    const out: DeviceRecord[] = [];
    for (const entry of [...this.#byDeviceIdHex.values(), ...this.#byKey.values()]) {
      if (out.length >= limit) break;
      if (seen.has(entry)) continue;
      seen.add(entry);
      const record = this.#decode(entry);
      if (record) out.push(record);
    }
    return out;
  }

  async health(): Promise<DirectoryHealth> {
    return { ok: !this.#closed, backend: 'ldif', detail: this.#closed ? 'closed' : `${this.#deviceCount} devices in memory` };
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

/** Read and index an LDIF file. Errors: DG_ERR_DIRECTORY_LDIF naming the file (and line). */
export async function openLdifDirectory(path: string, cwd: string = process.cwd()): Promise<LdifDirectory> {
  let text: string;
  try {
    text = await readTextFile(resolve(cwd, path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'read error';
    throw new DirectoryError('DG_ERR_DIRECTORY_LDIF', `${path}: cannot read the LDIF file (${code})`);
  }
  return new LdifDirectory(text, path);
}
