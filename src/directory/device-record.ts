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
  readonly servers?: readonly { readonly url: string; readonly ok: boolean; readonly connections: number; readonly inFlight: number; readonly lastError?: string }[];
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
}
