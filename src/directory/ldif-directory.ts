import { readFile } from 'node:fs/promises';
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
          if (!this.#byKey.has(lower)) this.#byKey.set(lower, entry);
          if (key.toUpperCase().startsWith(PREFIX_UPPER)) {
            const tp = key.slice(PREFIX_UPPER.length, PREFIX_UPPER.length + 40).toUpperCase();
            if (!this.#byThumbprint.has(tp)) this.#byThumbprint.set(tp, entry);
          }
        }
        const id = entry.attributes.get('msds-deviceid')?.[0];
        if (id !== undefined) this.#byDeviceIdHex.set(rawBytes(id).toString('hex'), entry);
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
      case 'key':
        return this.#decode(this.#byKey.get(query.key.toLowerCase()));
      case 'thumbprint': {
        const tp = query.thumbprint.toUpperCase();
        return THUMBPRINT_RE.test(tp) ? this.#decode(this.#byThumbprint.get(tp)) : undefined;
      }
      case 'deviceId': {
        const id = query.deviceId.toLowerCase();
        return GUID_RE.test(id) ? this.#decode(this.#byDeviceIdHex.get(guidToBytes(id).toString('hex'))) : undefined;
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
      if (out.length >= sizeLimit) break;
      if (!matchFilter(node, entry)) continue;
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
    text = await readFile(resolve(cwd, path), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'read error';
    throw new DirectoryError('DG_ERR_DIRECTORY_LDIF', `${path}: cannot read the LDIF file (${code})`);
  }
  return new LdifDirectory(text, path);
}
