/**
 * A decoded msDS-Device object. Attributes AD can hold (reference §2.1); an attribute absent from
 * the directory is absent here too (never defaulted).
 */
export interface DeviceRecord {
  readonly dn: string;
  readonly cn?: string;
  /** msDS-DeviceID decoded from .NET Guid.ToByteArray order: lower-case hyphenated GUID. */
  readonly deviceId?: string;
  readonly displayName?: string;
  /** Every altSecurityIdentities value, as stored. */
  readonly altSecurityIdentities: readonly string[];
  readonly isEnabled?: boolean;
  readonly osType?: string;
  readonly osVersion?: string;
  readonly physicalIds?: readonly string[];
  readonly objectVersion?: number;
  /** SID text (S-1-5-21-...), decoded from a binary SID or from SID text bytes. */
  readonly registeredOwner?: string;
  readonly registeredUsers?: readonly string[];
  /** msDS-ApproximateLastLogonTimeStamp (FILETIME) as a Date. */
  readonly approximateLastLogon?: Date;
  readonly isManaged?: boolean;
  readonly cloudIsManaged?: boolean;
  readonly isCompliant?: boolean;
  /** msDS-DeviceTrustType as stored (0, 1, 2 ...). */
  readonly trustType?: number;
  readonly mdmStatus?: string;
  /** msDS-CloudAnchor: UTF-8 text when printable, else base64. */
  readonly cloudAnchor?: string;
  readonly computerSid?: string;
  readonly keyCredentialLinks?: readonly string[];
  /** Server-made metadata where the directory has it (AD: objectGUID/whenCreated/whenChanged). */
  readonly objectGuid?: string;
  readonly whenCreated?: Date;
  readonly whenChanged?: Date;
  /**
   * DNs of other device objects that matched the same look-up (a duplicated key or device ID).
   * Set by find(); a record with duplicates is never trusted (device status `ambiguous`).
   */
  readonly duplicates?: readonly string[];
}

/** How a device is looked up. All values are already validated and normalized by the caller. */
export type DeviceQuery =
  /** Exact altSecurityIdentities value computed from a presented certificate. */
  | { readonly kind: 'key'; readonly key: string; readonly thumbprint: string }
  /** 40 upper-case hex digits: prefix match on altSecurityIdentities. */
  | { readonly kind: 'thumbprint'; readonly thumbprint: string }
  /** Lower-case hyphenated GUID: msDS-DeviceID equality (16 bytes, Guid.ToByteArray order). */
  | { readonly kind: 'deviceId'; readonly deviceId: string };

export interface DirectoryHealth {
  readonly ok: boolean;
  readonly backend: 'ldif' | 'ldap';
  readonly detail: string;
  /** ldap only: one entry per DC URL. */
  readonly servers?: readonly DirectoryServerHealth[];
  /** ldap only: the state of change tracking (see ChangeTracking). */
  readonly changeTracking?: ChangeTrackingState;
}

/** One DC as health() and /metrics see it. */
export interface DirectoryServerHealth {
  readonly url: string;
  readonly ok: boolean;
  readonly connections: number;
  readonly inFlight: number;
  readonly lastError?: string;
  /** Breaker state: closed (in rotation) or open (out of rotation, probed in the background). */
  readonly breaker?: 'closed' | 'open';
  /** Latency of the last successful operation or probe, ms. */
  readonly latencyMs?: number;
  /** Failed attempts on this DC since start. */
  readonly errors?: number;
}

/** One change to a device object the directory reported. */
export interface DirectoryChange {
  readonly kind: 'add' | 'modify' | 'delete';
  /** DN as the server reports it (a deleted AD object's tombstone DN differs from its live one). */
  readonly dn?: string;
  /** objectGUID (AD) as lower-case text, when the server gives it. */
  readonly objectGuid?: string;
}

/**
 * What change tracking reports: changed objects, or `reset` when changes may have been missed
 * (tracking failed over to another DC, or came back after a failure): drop everything cached.
 */
export type ChangeBatch =
  | { readonly reset: false; readonly changes: readonly DirectoryChange[] }
  | { readonly reset: true; readonly reason: string };

export interface ChangeTrackingState {
  /** usn: AD uSNChanged (+ Show Deleted); accesslog: slapd cn=accesslog; none: not available (cache TTL only). */
  readonly mode: 'usn' | 'accesslog' | 'none' | 'starting';
  readonly ok: boolean;
  readonly intervalMs: number;
  /** DC the cursor belongs to. */
  readonly server?: string;
  /** Milliseconds since the last successful poll (undefined before the first one). */
  readonly lastPollAgeMs?: number;
  /** Milliseconds since the last change seen (undefined when none was seen). */
  readonly lastChangeAgeMs?: number;
  /**
   * How deleted devices are seen: tombstones (AD: Show Deleted permitted to the account), presence
   * (AD otherwise: cached devices' objectGUIDs are looked up when the DC's USN moved), accesslog
   * (slapd), or none (the TTL alone).
   */
  readonly deletions?: 'tombstones' | 'presence' | 'accesslog' | 'none';
  readonly lastError?: string;
}

/** A feed of device changes, polled in the background while anyone listens. */
export interface ChangeTracking {
  /**
   * `watched` lists the objectGUIDs the subscriber holds: where tombstones cannot be read, those are
   * checked for presence so a deleted device is still seen.
   */
  subscribe(listener: (batch: ChangeBatch) => void, watched?: () => Iterable<string>): () => void;
  state(): ChangeTrackingState;
}

export interface DirectoryStats {
  /** Searches sent to the backing store (LDAP search operations, or LDIF index look-ups). */
  searches: number;
  errors: number;
}

export interface DeviceDirectory {
  readonly backend: 'ldif' | 'ldap';
  /** Human-readable, no secrets: e.g. "ldap://127.0.0.1:3890 base CN=RegisteredDevices,DC=contoso,DC=com". */
  readonly description: string;
  readonly stats: DirectoryStats;
  /** Resolves undefined when no device matches; rejects with a DirectoryError when the directory fails. */
  find(query: DeviceQuery): Promise<DeviceRecord | undefined>;
  /**
   * DER certificates from the device registration service object
   * (msDS-IssuerPublicCertificates + msDS-CloudIssuerPublicCertificates); [] when it does not exist.
   */
  issuerCertificates(): Promise<readonly Buffer[]>;
  /**
   * Generic search below the domain root for the "Active Directory" attribute store
   * (`<filter>;<attr1>,<attr2>;<DOMAIN\user>` queries). `filter` is RFC 4515 text whose values the
   * caller has already escaped. Returns each entry's requested attributes as strings
   * (binary SIDs as SID text). At most `sizeLimit` entries (default 100).
   */
  searchAttributes(filter: string, attributes: readonly string[], sizeLimit?: number): Promise<readonly Readonly<Record<string, readonly string[]>>[]>;
  health(): Promise<DirectoryHealth>;
  /**
   * Up to `limit` device objects in directory order (LDAP: a paged search of CN=RegisteredDevices),
   * for load tests that replay real device identities. Optional: wrappers need not offer it.
   */
  sampleDevices?(limit: number): Promise<readonly DeviceRecord[]>;
  close(): Promise<void>;
  /** ldap only: follows changes to device objects so a cache can drop what changed. */
  readonly changes?: ChangeTracking;
}
