// Whole-directory passes for the inventory and the WHfB checks: every msDS-Device object of the domain
// and every user holding msDS-KeyCredentialLink values, page by page (memory stays bounded by the page
// size, whatever the size of the forest), plus the few look-ups `whfb check` needs.
import type { DeviceRecord } from './device-record.js';
import type { RawEntry } from './raw-entry.js';

/** Where device writeback puts things, as this directory says. */
export interface DirectoryNaming {
  readonly domainDn: string;
  /** msDS-DeviceLocation of the device registration service object, else CN=RegisteredDevices,<domain>. */
  readonly devicesDn: string;
  readonly drsDn: string;
  /** The device registration service object exists (AD FS / Entra Connect initialised device writeback). */
  readonly drsExists: boolean;
  /** Whether devicesDn came from msDS-DeviceLocation. */
  readonly deviceLocationFromDrs: boolean;
}

/** One scanned device object: decoded, or why it could not be. */
export interface ScannedDevice {
  readonly dn: string;
  readonly record?: DeviceRecord;
  readonly error?: string;
}

export interface ScannedUser {
  readonly dn: string;
  readonly sid?: string;
  readonly upn?: string;
  readonly samAccountName?: string;
  /** msDS-KeyCredentialLink values as DN-Binary text. */
  readonly keyCredentialLinks: readonly string[];
}

export type UserLookup = { readonly upn: string } | { readonly sid: string } | { readonly dn: string };

export interface DirectoryScanner {
  /** e.g. "ldap://dc1 (DC=contoso,DC=com)"; no secrets. */
  readonly description: string;
  naming(): Promise<DirectoryNaming>;
  /** Every msDS-Device object in the domain (also those outside devicesDn), a page at a time. */
  devices(pageSize?: number): AsyncIterable<readonly ScannedDevice[]>;
  /** Every user (not computer) with at least one msDS-KeyCredentialLink value, a page at a time. */
  keyHolders(pageSize?: number): AsyncIterable<readonly ScannedUser[]>;
  findUser(lookup: UserLookup): Promise<ScannedUser | undefined>;
  /** Device objects with this msDS-DeviceID anywhere in the domain (normally 0 or 1). */
  findDevicesById(deviceId: string): Promise<readonly ScannedDevice[]>;
  close(): Promise<void>;
}

export const DEFAULT_PAGE_SIZE = 500;
export const USER_ATTRIBUTES = ['objectSid', 'userPrincipalName', 'sAMAccountName', 'msDS-KeyCredentialLink'] as const;

/** A raw user entry as the scanner hands it out (objectSid decoded by the caller's codec). */
export function toScannedUser(entry: RawEntry, sidOf: (entry: RawEntry) => string | undefined): ScannedUser {
  const text = (name: string) => {
    const v = entry.attributes.get(name)?.[0];
    return v === undefined ? undefined : typeof v === 'string' ? v : v.toString('utf8');
  };
  const sid = sidOf(entry);
  const upn = text('userprincipalname');
  const sam = text('samaccountname');
  return {
    dn: entry.dn,
    ...(sid !== undefined ? { sid } : {}),
    ...(upn !== undefined ? { upn } : {}),
    ...(sam !== undefined ? { samAccountName: sam } : {}),
    keyCredentialLinks: (entry.attributes.get('msds-keycredentiallink') ?? []).map((v) => (typeof v === 'string' ? v : v.toString('utf8'))),
  };
}
