/** What device writeback left in AD, and what is wrong with it (`devicegate inventory --json`, binding keys). */
export interface InventoryReport {
  readonly generatedAt: string;
  readonly directory: string;
  readonly devicesDn: string;
  readonly deviceLocationFromDrs: boolean;
  readonly deviceRegistrationService: boolean;
  readonly staleDays: number;
  readonly devices: DeviceCounts;
  readonly keys: KeyCounts;
  readonly findings: readonly Finding[];
}

export interface DeviceCounts {
  total: number;
  byTrustType: Record<string, number>;
  byOs: Record<string, number>;
  managed: number;
  compliant: number;
  enabled: number;
  disabled: number;
  stale: number;
  withoutOwner: number;
  withDuplicateKey: number;
  outsideContainer: number;
  withoutCertificateKey: number;
  undecodable: number;
}

export interface KeyCounts {
  /** Users (not computers) holding at least one msDS-KeyCredentialLink value. */
  usersWithKeys: number;
  usersWithNgcKeys: number;
  total: number;
  byUsage: Record<string, number>;
  bySource: Record<string, number>;
  /** Age of each key (by KeyCreationTime) at report time. */
  byAge: Record<KeyAgeBucket, number>;
  orphaned: number;
  roca: number;
  malformed: number;
  deviceDisabled: number;
  deviceStale: number;
  deviceNotRegisteredToUser: number;
}

export type KeyAgeBucket = 'under 90 days' | '90 days to 1 year' | '1 to 2 years' | 'over 2 years' | 'unknown';
export const KEY_AGE_BUCKETS: readonly KeyAgeBucket[] = ['under 90 days', '90 days to 1 year', '1 to 2 years', 'over 2 years', 'unknown'];

export type FindingKind =
  | 'device_disabled'
  | 'device_stale'
  | 'device_without_owner'
  | 'duplicate_certificate_key'
  | 'device_outside_container'
  | 'device_without_certificate_key'
  | 'device_undecodable'
  | 'key_orphaned'
  | 'key_roca'
  | 'key_malformed'
  | 'key_device_disabled'
  | 'key_device_stale'
  | 'key_device_not_registered_to_user';

/** One thing to look at: the object (dn) and what about it. */
export interface Finding {
  readonly kind: FindingKind;
  readonly dn: string;
  readonly detail: string;
}
