import {
  buildIssuerTrust,
  CertificateParseCache,
  checkDeviceCertificate,
  CertificateError,
  isCertificateError,
  normalizeDeviceId,
  normalizeThumbprint,
  parseDeviceCertificate,
  type CertificateCheck,
  type DeviceCertificate,
  type IssuerTrust,
} from '../certificate/index.js';
import type { CachedDeviceDirectory } from '../cache/index.js';
import { deviceClaims, deviceStatus, trustTypeValue } from '../claims/index.js';
import type { DeviceQuery, DeviceRecord } from '../directory/index.js';
import type { DevicePresentation, DeviceSource, ResolvedDevice } from './decision-types.js';
import { PolicyError } from './errors.js';
import type { FarmSettings } from './farm-settings.js';

export interface ResolvedDeviceWithRecord extends ResolvedDevice {
  readonly record?: DeviceRecord;
}

export interface Logger {
  warn(message: string): void;
  info(message: string): void;
  error(message: string): void;
}

export interface DeviceResolverOptions {
  readonly directory: CachedDeviceDirectory;
  readonly logger: Logger;
}

const NOT_PRESENTED: ResolvedDeviceWithRecord = Object.freeze({ status: 'not_presented', source: 'none', claims: Object.freeze([]) as readonly never[] });
const UNTRUSTED_IDENTIFIER: ResolvedDeviceWithRecord = (() => {
  const s = deviceStatus({ presented: true, untrustedIdentifier: true, now: new Date(0) });
  return Object.freeze({ status: s.status, source: 'none', claims: Object.freeze([]) as readonly never[], ...(s.detail !== undefined ? { detail: s.detail } : {}) });
})();

export interface ResolveOptions {
  readonly at: Date;
  readonly primarySid?: string | undefined;
  /**
   * `untrusted`: a thumbprint or device ID is not looked up and resolves to `untrusted_identifier`
   * (decisions under farm.json identifierPresentations "untrusted"). Default: looked up.
   */
  readonly identifiers?: 'trusted' | 'untrusted';
}

function rethrowAs(field: string, error: unknown): never {
  if (isCertificateError(error)) throw new CertificateError(error.code, error.message, field);
  throw error;
}

const PRESENTATION_KEYS = new Set(['certificate', 'thumbprint', 'deviceId']);
const CANONICAL_THUMBPRINT = /^[0-9A-F]{40}$/;

/** The one defined key of a presentation object, or undefined when there are none or several (no array made). */
function onlyKey(device: object): string | undefined {
  let found: string | undefined;
  for (const k in device) {
    if (!Object.prototype.hasOwnProperty.call(device, k) || (device as Record<string, unknown>)[k] === undefined) continue;
    if (found !== undefined) return undefined;
    found = k;
  }
  return found;
}

/** A remembered (frozen) certificate parse gets one frozen query, whose cache key is then made once too. */
const keyQueries = new WeakMap<DeviceCertificate, DeviceQuery>();

function keyQueryOf(certificate: DeviceCertificate): DeviceQuery {
  const frozen = Object.isFrozen(certificate);
  let query = frozen ? keyQueries.get(certificate) : undefined;
  if (query === undefined) {
    query = { kind: 'key', key: certificate.altSecurityIdentity, thumbprint: certificate.thumbprint };
    if (frozen) keyQueries.set(certificate, Object.freeze(query));
  }
  return query;
}

/**
 * Turns the request's device presentation into a directory query (and the parsed certificate).
 * `parse` reads certificates (the resolver passes its bounded parse cache).
 */
export function presentationToQuery(
  device: DevicePresentation,
  parse: (text: string) => DeviceCertificate = parseDeviceCertificate,
): { query: DeviceQuery; certificate?: DeviceCertificate } {
  if (typeof device !== 'object' || device === null) throw new PolicyError('DG_ERR_POLICY_BAD_REQUEST', 'device must be an object', 'device');
  const key = onlyKey(device);
  if (key === undefined || !PRESENTATION_KEYS.has(key)) {
    throw new PolicyError('DG_ERR_POLICY_BAD_REQUEST', 'device must have exactly one of certificate, thumbprint or deviceId', 'device');
  }
  const value = (device as Record<string, unknown>)[key];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new PolicyError('DG_ERR_POLICY_BAD_REQUEST', `device.${key} must be a non-empty string`, `device.${key}`);
  }
  try {
    switch (key as 'certificate' | 'thumbprint' | 'deviceId') {
      case 'certificate': {
        const certificate = parse(value);
        return { query: keyQueryOf(certificate), certificate };
      }
      case 'thumbprint':
        // Already canonical (the usual case): no normalizing copies.
        return { query: { kind: 'thumbprint', thumbprint: CANONICAL_THUMBPRINT.test(value) ? value : normalizeThumbprint(value) } };
      case 'deviceId':
        return { query: { kind: 'deviceId', deviceId: normalizeDeviceId(value) } };
    }
  } catch (error) {
    return rethrowAs(`device.${key}`, error);
  }
}

/**
 * What a known device resolves to depends only on its record, where the record came from, the
 * caller's primarysid and the farm's trustTypeNames: made once per record object (the cache hands
 * out the same object until it refreshes) and shared, frozen, by every decision that follows.
 */
interface KnownDevices {
  readonly names: boolean;
  /** primarysid ('' = none) -> resolved device. */
  readonly bySid: Map<string, ResolvedDeviceWithRecord>;
}

/** Distinct primarysids remembered per record before starting over (a device has few users). */
const MAX_SIDS_PER_RECORD = 16;

/**
 * Presentation -> query -> cache/directory -> certificate checks -> status -> claims.
 * The issuer trust is built from farm.json's CAs plus the directory's DRS issuer certificates.
 */
export class DeviceResolver {
  readonly #directory: CachedDeviceDirectory;
  readonly #logger: Logger;
  #farm: FarmSettings;
  #farmCertificates: readonly Buffer[];
  #trust: Promise<IssuerTrust> | undefined;
  /** The settled value of #trust (for synchronous cached certificate decisions), once it has one. */
  #trustNow: IssuerTrust | undefined;
  /** Parsed presented certificates by their exact text (bounded; parse only, never a verdict). */
  readonly #certificates = new CertificateParseCache();
  readonly #parse = (text: string): DeviceCertificate => this.#certificates.parse(text);
  #warnedNameOnly = false;
  #known = new WeakMap<DeviceRecord, KnownDevices>();

  constructor(options: DeviceResolverOptions, farm: FarmSettings, farmCertificates: readonly Buffer[]) {
    this.#directory = options.directory;
    this.#logger = options.logger;
    this.#farm = farm;
    this.#farmCertificates = farmCertificates;
  }

  /** New farm settings (reload): the trust is rebuilt on next use. */
  update(farm: FarmSettings, farmCertificates: readonly Buffer[]): void {
    this.#farm = farm;
    this.#farmCertificates = farmCertificates;
    this.#trust = undefined;
    this.#trustNow = undefined;
    this.#known = new WeakMap();
  }

  get farm(): FarmSettings {
    return this.#farm;
  }

  trust(): Promise<IssuerTrust> {
    if (this.#trust === undefined) {
      const building: Promise<IssuerTrust> = this.#buildTrust().then(
        (trust) => {
          if (this.#trust === building) this.#trustNow = trust; // not if update() replaced it meanwhile
          return trust;
        },
        (error: unknown) => {
          if (this.#trust === building) this.#trust = undefined; // try again next time
          throw error;
        },
      );
      this.#trust = building;
    }
    return this.#trust;
  }

  async #buildTrust(): Promise<IssuerTrust> {
    const published = await this.#directory.issuerCertificates();
    const anchors: Buffer[] = [...this.#farmCertificates, ...published];
    let trust: IssuerTrust;
    try {
      trust = buildIssuerTrust(anchors);
    } catch (error) {
      // A malformed certificate on the DRS object must not stop decisions: use farm.json's only.
      this.#logger.error(`device issuer certificates from the directory are unusable (${(error as Error).message}); using farm.json trustedDeviceIssuers only`);
      trust = buildIssuerTrust(this.#farmCertificates);
    }
    if (trust.mode === 'name' && !this.#warnedNameOnly) {
      this.#warnedNameOnly = true;
      this.#logger.warn('no trusted device issuer certificates (farm.json trustedDeviceIssuers, msDS-IssuerPublicCertificates): device certificate issuers are checked by name only (CN=MS-Organization-Access)');
    }
    return trust;
  }

  /**
   * Resolves a presentation. A fresh cache hit for a thumbprint or device ID is answered
   * synchronously (no promise); everything else returns a promise. Callers `await` either.
   */
  resolve(device: DevicePresentation | undefined, options: ResolveOptions): ResolvedDeviceWithRecord | Promise<ResolvedDeviceWithRecord> {
    const now = this.#resolveNow(device, options);
    return 'status' in now ? now : this.#resolveAsync(now.query, now.certificate, options);
  }

  /** The resolution when it needs no wait (a fresh cache hit), else undefined; starts no directory search. */
  resolveIfReady(device: DevicePresentation | undefined, options: ResolveOptions): ResolvedDeviceWithRecord | undefined {
    const now = this.#resolveNow(device, options);
    return 'status' in now ? now : undefined;
  }

  /** The resolution from what is at hand, or the query (and parsed certificate) the directory must answer. */
  #resolveNow(device: DevicePresentation | undefined, options: ResolveOptions): ResolvedDeviceWithRecord | { query: DeviceQuery; certificate?: DeviceCertificate } {
    if (device === undefined || device === null) return NOT_PRESENTED;
    const pending = presentationToQuery(device, this.#parse);
    const { query, certificate } = pending;
    if (certificate === undefined) {
      if (options.identifiers === 'untrusted') return UNTRUSTED_IDENTIFIER;
      const hit = this.#directory.peek(query);
      if (hit !== undefined) return this.#settle(hit.record, hit.source, undefined, options);
    } else {
      // A cached certificate decision is synchronous too once the issuer trust is built; the
      // certificate is still checked against the decision time on every request.
      const trust = this.#trustNow;
      if (trust !== undefined) {
        const hit = this.#directory.peek(query);
        if (hit !== undefined) {
          const record = hit.record;
          const check = record === undefined ? undefined : checkDeviceCertificate(certificate, { trust, now: options.at, ...(record.deviceId !== undefined ? { deviceId: record.deviceId } : {}) });
          return this.#settle(record, hit.source, check, options);
        }
      }
    }
    return pending;
  }

  async #resolveAsync(query: DeviceQuery, certificate: DeviceCertificate | undefined, options: { at: Date; primarySid?: string | undefined }): Promise<ResolvedDeviceWithRecord> {
    let record: DeviceRecord | undefined;
    let source: DeviceSource;
    try {
      const answer = await this.#directory.lookup(query);
      record = answer.record;
      source = answer.source;
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'error';
      if (this.#farm.onDirectoryError === 'error') {
        throw new PolicyError('DG_ERR_POLICY_DIRECTORY_UNAVAILABLE', `the directory is unavailable (${code})`);
      }
      return { status: 'directory_unavailable', source: 'none', claims: [], detail: code };
    }
    let check: CertificateCheck | undefined;
    if (certificate !== undefined && record !== undefined) {
      let trust: IssuerTrust;
      try {
        trust = await this.trust();
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'error';
        if (this.#farm.onDirectoryError === 'error') throw new PolicyError('DG_ERR_POLICY_DIRECTORY_UNAVAILABLE', `the directory is unavailable (${code})`);
        return { status: 'directory_unavailable', source: 'none', claims: [], detail: code };
      }
      check = checkDeviceCertificate(certificate, { trust, now: options.at, ...(record.deviceId !== undefined ? { deviceId: record.deviceId } : {}) });
    }
    return this.#settle(record, source, check, options);
  }

  /** Record (+ certificate check) -> status -> claims and the device's public fields. */
  #settle(record: DeviceRecord | undefined, source: DeviceSource, check: CertificateCheck | undefined, options: { at: Date; primarySid?: string | undefined }): ResolvedDeviceWithRecord {
    const status = deviceStatus({
      presented: true,
      record,
      certificate: check,
      now: options.at,
      maxInactiveDays: this.#farm.maxInactiveDays,
    });
    const names = this.#farm.claimMapping.trustTypeNames;
    if (record === undefined || status.status === 'ambiguous') {
      // Several objects: none is believed, and none of their attributes is shown as the device's
      // (the first record, with the others' DNs, stays available to look-ups: devicegate device).
      if (status.status === 'ambiguous' && source !== 'cache') this.#logger.warn(`device look-up is ambiguous, no device claims: ${status.detail ?? ''}`);
      return { status: status.status, source, claims: [], ...(record !== undefined ? { record } : {}), ...(status.detail !== undefined ? { detail: status.detail } : {}) };
    }
    if (status.status === 'known' && status.detail === undefined) {
      // Only cache answers come back with the same record object; a directory answer is a one-off.
      return source === 'cache' ? this.#sharedKnown(record, options.primarySid, names) : knownDevice(record, source, options.primarySid, names);
    }
    return {
      status: status.status,
      source,
      claims: [],
      record,
      ...(status.detail !== undefined ? { detail: status.detail } : {}),
      ...(record.deviceId !== undefined ? { id: record.deviceId } : {}),
      ...(record.displayName !== undefined ? { displayName: record.displayName } : {}),
      ...(record.trustType !== undefined ? { trustType: trustTypeValue(record.trustType, names) } : {}),
      managed: record.isManaged === true || record.cloudIsManaged === true,
      compliant: record.isCompliant === true,
    };
  }

  /** The shared resolution of a known device from the cache (see KnownDevices). */
  #sharedKnown(record: DeviceRecord, primarySid: string | undefined, names: boolean): ResolvedDeviceWithRecord {
    let known = this.#known.get(record);
    if (known === undefined || known.names !== names) {
      known = { names, bySid: new Map() };
      this.#known.set(record, known);
    }
    const sid = primarySid ?? '';
    let resolved = known.bySid.get(sid);
    if (resolved === undefined) {
      if (known.bySid.size >= MAX_SIDS_PER_RECORD) known.bySid.clear();
      resolved = knownDevice(record, 'cache', primarySid, names);
      for (const c of resolved.claims) Object.freeze(c);
      Object.freeze(resolved.claims);
      known.bySid.set(sid, Object.freeze(resolved));
    }
    return resolved;
  }
}

function knownDevice(record: DeviceRecord, source: DeviceSource, primarySid: string | undefined, names: boolean): ResolvedDeviceWithRecord {
  return {
    status: 'known',
    source,
    claims: deviceClaims(record, { primarySid, trustTypeNames: names }),
    record,
    ...(record.deviceId !== undefined ? { id: record.deviceId } : {}),
    ...(record.displayName !== undefined ? { displayName: record.displayName } : {}),
    ...(record.trustType !== undefined ? { trustType: trustTypeValue(record.trustType, names) } : {}),
    managed: record.isManaged === true || record.cloudIsManaged === true,
    compliant: record.isCompliant === true,
  };
}
