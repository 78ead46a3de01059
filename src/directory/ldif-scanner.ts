import { resolve } from 'node:path';
import { decodeDevice } from './decode-device.js';
import { DEVICE_REGISTRATION_SERVICE_RDN } from './device-attributes.js';
import {
  DEFAULT_PAGE_SIZE, toScannedUser, type DirectoryNaming, type DirectoryScanner, type ScannedDevice, type ScannedUser, type UserLookup,
} from './directory-scanner.js';
import { readTextFile } from '../text/index.js';
import { DirectoryError } from './errors.js';
import { guidToBytes } from './guid-codec.js';
import { parseLdif, type LdifEntry } from './parse-ldif.js';
import { rawBytes, rawText, type RawEntry } from './raw-entry.js';
import { decodeSid } from './sid-codec.js';

const normalizeDn = (dn: string) => dn.replace(/\s*,\s*/g, ',').toLowerCase();
const hasClass = (entry: LdifEntry, cls: string) => entry.attributes.get('objectclass')?.some((v) => rawText(v).toLowerCase() === cls) ?? false;
const sidOf = (entry: RawEntry) => {
  const v = entry.attributes.get('objectsid')?.[0];
  return v === undefined ? undefined : decodeSid(typeof v === 'string' ? v : v);
};

function scanDevice(entry: LdifEntry): ScannedDevice {
  try {
    return { dn: entry.dn, record: decodeDevice(entry) };
  } catch (error) {
    return { dn: entry.dn, error: (error as Error).message };
  }
}

function* pages<T>(items: readonly T[], size: number): Generator<readonly T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** The scanner over an LDIF file (the embedded directory and tests): the whole file, in pages. */
export class LdifScanner implements DirectoryScanner {
  readonly description: string;
  readonly #entries: readonly LdifEntry[];

  constructor(text: string, file: string) {
    this.#entries = parseLdif(text, file);
    this.description = `ldif:${file}`;
  }

  async naming(): Promise<DirectoryNaming> {
    const domain = this.#entries
      .filter((e) => hasClass(e, 'domain') || hasClass(e, 'domaindns'))
      .sort((a, b) => a.dn.length - b.dn.length)[0];
    if (!domain) throw new DirectoryError('DG_ERR_DIRECTORY_LDIF', `${this.description}: no domain entry (objectClass domain or domainDNS)`);
    const drsPrefix = `${DEVICE_REGISTRATION_SERVICE_RDN},CN=Configuration,`.toLowerCase();
    const drs = this.#entries.find((e) => hasClass(e, 'msds-deviceregistrationservice') || normalizeDn(e.dn).startsWith(drsPrefix));
    const location = drs?.attributes.get('msds-devicelocation')?.[0];
    return {
      domainDn: domain.dn,
      devicesDn: location !== undefined ? rawText(location) : `CN=RegisteredDevices,${domain.dn}`,
      drsDn: drs?.dn ?? `${DEVICE_REGISTRATION_SERVICE_RDN},CN=Configuration,${domain.dn}`,
      drsExists: drs !== undefined,
      deviceLocationFromDrs: location !== undefined,
    };
  }

  async *devices(pageSize = DEFAULT_PAGE_SIZE): AsyncIterable<readonly ScannedDevice[]> {
    for (const page of pages(this.#entries.filter((e) => hasClass(e, 'msds-device')), pageSize)) yield page.map(scanDevice);
  }

  async *keyHolders(pageSize = DEFAULT_PAGE_SIZE): AsyncIterable<readonly ScannedUser[]> {
    const holders = this.#entries.filter((e) => hasClass(e, 'user') && !hasClass(e, 'computer') && (e.attributes.get('msds-keycredentiallink')?.length ?? 0) > 0);
    for (const page of pages(holders, pageSize)) yield page.map((e) => toScannedUser(e, sidOf));
  }

  async findUser(lookup: UserLookup): Promise<ScannedUser | undefined> {
    const users = this.#entries.filter((e) => hasClass(e, 'user'));
    let hit: LdifEntry | undefined;
    if ('dn' in lookup) hit = users.find((e) => normalizeDn(e.dn) === normalizeDn(lookup.dn));
    else if ('sid' in lookup) hit = users.find((e) => sidOf(e) === lookup.sid.toUpperCase());
    else hit = users.find((e) => e.attributes.get('userprincipalname')?.some((v) => rawText(v).toLowerCase() === lookup.upn.toLowerCase()));
    return hit ? toScannedUser(hit, sidOf) : undefined;
  }

  async findDevicesById(deviceId: string): Promise<readonly ScannedDevice[]> {
    const bytes = guidToBytes(deviceId);
    return this.#entries.filter((e) => hasClass(e, 'msds-device') && e.attributes.get('msds-deviceid')?.some((v) => rawBytes(v).equals(bytes))).map(scanDevice);
  }

  async close(): Promise<void> {}
}

export async function openLdifScanner(path: string, cwd: string = process.cwd()): Promise<LdifScanner> {
  let text: string;
  try {
    text = await readTextFile(resolve(cwd, path));
  } catch (error) {
    throw new DirectoryError('DG_ERR_DIRECTORY_LDIF', `${path}: cannot read the LDIF file (${(error as NodeJS.ErrnoException).code ?? 'read error'})`);
  }
  return new LdifScanner(text, path);
}
