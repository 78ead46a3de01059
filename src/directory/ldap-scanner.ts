import { Client, type Entry, type Filter } from 'ldapts';
import { decodeDevice } from './decode-device.js';
import { BINARY_ATTRIBUTES, DEVICE_ATTRIBUTES, DEVICE_REGISTRATION_SERVICE_RDN } from './device-attributes.js';
import {
  DEFAULT_PAGE_SIZE, USER_ATTRIBUTES, toScannedUser, type DirectoryNaming, type DirectoryScanner, type ScannedDevice, type ScannedUser, type UserLookup,
} from './directory-scanner.js';
import { DirectoryError } from './errors.js';
import { escapeFilterValue } from './escape-filter-value.js';
import { guidToBytes } from './guid-codec.js';
import { toRawEntry } from './ldap-directory.js';
import { parseFilter } from './ldap-filter.js';
import { mapLdapError } from './map-ldap-error.js';
import type { LdapConnectionSettings } from './open-directory.js';
import type { RawEntry } from './raw-entry.js';
import { decodeSid, sidTextToBinary } from './sid-codec.js';
import { toLdaptsFilter } from './to-ldapts-filter.js';

const BUFFER_ATTRS: string[] = [...new Set(BINARY_ATTRIBUTES.flatMap((a) => [a, a.toLowerCase()]))];
const DEVICE_ATTRS: string[] = [...DEVICE_ATTRIBUTES];
const USER_ATTRS: string[] = [...USER_ATTRIBUTES, 'objectClass'];
const DEVICE_FILTER = '(objectClass=msDS-Device)';
// Computers are users too; they are dropped after the search: a (!(objectClass=computer)) term is
// Undefined (so matches nothing) on a server whose schema has no computer class.
const KEY_HOLDER_FILTER = '(&(objectClass=user)(msDS-KeyCredentialLink=*))';
const isComputer = (entry: Entry) => {
  const classes = entry.objectClass;
  return (Array.isArray(classes) ? classes : [classes]).some((c) => (typeof c === 'string' ? c : c?.toString('utf8'))?.toLowerCase() === 'computer');
};

const filterOf = (text: string): Filter => toLdaptsFilter(parseFilter(text));
const first = (entry: Entry | undefined, name: string): string | undefined => {
  const v = entry?.[name];
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : typeof one === 'string' ? one : one.toString('utf8');
};
const sidOf = (entry: RawEntry) => {
  const v = entry.attributes.get('objectsid')?.[0];
  return v === undefined ? undefined : decodeSid(v);
};
function scanDevice(entry: Entry): ScannedDevice {
  try {
    return { dn: entry.dn, record: decodeDevice(toRawEntry(entry)) };
  } catch (error) {
    return { dn: entry.dn, error: (error as Error).message };
  }
}

/**
 * One connection to the first DC that binds, for long paged passes (the decision path's pool keeps
 * its connections for lookups; an inventory must not take them over for minutes).
 */
export class LdapScanner implements DirectoryScanner {
  readonly #settings: LdapConnectionSettings;
  #client?: Client;
  #url?: string;
  #naming?: DirectoryNaming;

  constructor(settings: LdapConnectionSettings) {
    this.#settings = settings;
  }

  get description(): string {
    return `${this.#url ?? this.#settings.urls.join(',')}${this.#naming ? ` (${this.#naming.domainDn})` : ''}`;
  }

  async #connect(): Promise<Client> {
    if (this.#client) return this.#client;
    let lastError: DirectoryError | undefined;
    for (const url of this.#settings.urls) {
      const secure = url.startsWith('ldaps:');
      const tlsOptions = { ...(this.#settings.tls.ca ? { ca: [...this.#settings.tls.ca] } : {}), rejectUnauthorized: this.#settings.tls.rejectUnauthorized };
      const client = new Client({ url, timeout: this.#settings.timeoutMs, connectTimeout: this.#settings.timeoutMs, ...(secure ? { tlsOptions } : {}) });
      let phase: 'connect' | 'bind' = 'connect';
      try {
        if (this.#settings.startTls) await client.startTLS(tlsOptions);
        phase = 'bind';
        if (this.#settings.bindDn !== undefined) await client.bind(this.#settings.bindDn, this.#settings.password ?? '');
        this.#client = client;
        this.#url = url;
        return client;
      } catch (error) {
        lastError = mapLdapError(error, url, phase, this.#settings.bindDn);
        await client.unbind().catch(() => undefined);
        if (lastError.code === 'DG_ERR_DIRECTORY_BIND') throw lastError;
      }
    }
    throw lastError ?? new DirectoryError('DG_ERR_DIRECTORY_UNAVAILABLE', 'no domain controller to connect to');
  }

  async #search(base: string, filter: string, attributes: string[], scope: 'base' | 'sub', sizeLimit: number): Promise<Entry[]> {
    const client = await this.#connect();
    try {
      const { searchEntries } = await client.search(base, { scope, filter: filterOf(filter), attributes, explicitBufferAttributes: BUFFER_ATTRS, sizeLimit });
      return searchEntries;
    } catch (error) {
      const mapped = this.#failed(error);
      // A base that does not exist (or is not a DN at all, e.g. a --user typo) holds no entries.
      if (mapped.message.includes('NoSuchObject') || mapped.message.includes('InvalidDNSyntax')) return [];
      throw mapped;
    }
  }

  async *#paged(base: string, filter: string, attributes: string[], pageSize: number): AsyncIterable<Entry[]> {
    const client = await this.#connect();
    try {
      for await (const page of client.searchPaginated(base, { scope: 'sub', filter: filterOf(filter), attributes, explicitBufferAttributes: BUFFER_ATTRS, paged: { pageSize } })) {
        yield page.searchEntries;
      }
    } catch (error) {
      throw this.#failed(error);
    }
  }

  /** Maps an error; a connection that failed is dropped so the next call connects again (the route is long-lived). */
  #failed(error: unknown): DirectoryError {
    const mapped = mapLdapError(error, this.#url ?? '', 'search');
    if (mapped.code === 'DG_ERR_DIRECTORY_UNAVAILABLE' || mapped.code === 'DG_ERR_DIRECTORY_TIMEOUT') {
      void this.#client?.unbind().catch(() => undefined);
      this.#client = undefined;
      this.#naming = undefined;
    }
    return mapped;
  }

  async naming(): Promise<DirectoryNaming> {
    if (this.#naming) return this.#naming;
    const [root] = await this.#search('', '(objectClass=*)', ['defaultNamingContext', 'namingContexts', 'configurationNamingContext'], 'base', 1);
    const domainDn = this.#settings.baseDn ?? first(root, 'defaultNamingContext') ?? first(root, 'namingContexts');
    if (!domainDn) throw new DirectoryError('DG_ERR_DIRECTORY_CONFIG', 'the RootDSE names no naming context; give --base-dn', 'baseDn');
    const drsDn = `${DEVICE_REGISTRATION_SERVICE_RDN},${first(root, 'configurationNamingContext') ?? `CN=Configuration,${domainDn}`}`;
    const [drs] = await this.#search(drsDn, '(objectClass=*)', ['msDS-DeviceLocation'], 'base', 1);
    const location = first(drs, 'msDS-DeviceLocation');
    this.#naming = {
      domainDn,
      devicesDn: location ?? `CN=RegisteredDevices,${domainDn}`,
      drsDn,
      drsExists: drs !== undefined,
      deviceLocationFromDrs: location !== undefined,
    };
    return this.#naming;
  }

  async *devices(pageSize = DEFAULT_PAGE_SIZE): AsyncIterable<readonly ScannedDevice[]> {
    const { domainDn } = await this.naming();
    for await (const page of this.#paged(domainDn, DEVICE_FILTER, DEVICE_ATTRS, pageSize)) yield page.map(scanDevice);
  }

  async *keyHolders(pageSize = DEFAULT_PAGE_SIZE): AsyncIterable<readonly ScannedUser[]> {
    const { domainDn } = await this.naming();
    for await (const page of this.#paged(domainDn, KEY_HOLDER_FILTER, USER_ATTRS, pageSize)) {
      yield page.filter((e) => !isComputer(e)).map((e) => toScannedUser(toRawEntry(e), sidOf));
    }
  }

  async findUser(lookup: UserLookup): Promise<ScannedUser | undefined> {
    const { domainDn } = await this.naming();
    const entries =
      'dn' in lookup
        ? await this.#search(lookup.dn, '(objectClass=user)', USER_ATTRS, 'base', 1)
        : 'sid' in lookup
          ? await this.#search(domainDn, `(&(objectClass=user)(objectSid=${escapeFilterValue(sidTextToBinary(lookup.sid))}))`, USER_ATTRS, 'sub', 2)
          : await this.#search(domainDn, `(&(objectClass=user)(userPrincipalName=${escapeFilterValue(lookup.upn)}))`, USER_ATTRS, 'sub', 2);
    const entry = entries[0];
    return entry ? toScannedUser(toRawEntry(entry), sidOf) : undefined;
  }

  async findDevicesById(deviceId: string): Promise<readonly ScannedDevice[]> {
    const { domainDn } = await this.naming();
    const entries = await this.#search(domainDn, `(&(objectClass=msDS-Device)(msDS-DeviceID=${escapeFilterValue(guidToBytes(deviceId))}))`, DEVICE_ATTRS, 'sub', 10);
    return entries.map(scanDevice);
  }

  async close(): Promise<void> {
    await this.#client?.unbind().catch(() => undefined);
    this.#client = undefined;
  }
}
