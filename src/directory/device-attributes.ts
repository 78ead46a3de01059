/** msDS-Device attributes a lookup asks for (ref. ad-device-writeback §2.1) plus AD metadata. */
export const DEVICE_ATTRIBUTES = [
  'cn',
  'displayName',
  'altSecurityIdentities',
  'msDS-DeviceID',
  'msDS-IsEnabled',
  'msDS-DeviceOSType',
  'msDS-DeviceOSVersion',
  'msDS-DevicePhysicalIDs',
  'msDS-DeviceObjectVersion',
  'msDS-RegisteredOwner',
  'msDS-RegisteredUsers',
  'msDS-ApproximateLastLogonTimeStamp',
  'msDS-IsManaged',
  'msDS-CloudIsManaged',
  'msDS-IsCompliant',
  'msDS-DeviceTrustType',
  'msDS-DeviceMDMStatus',
  'msDS-CloudAnchor',
  'msDS-ComputerSID',
  'msDS-KeyCredentialLink',
  'objectGUID',
  'whenCreated',
  'whenChanged',
] as const;

/** Attributes whose values are bytes; ldapts must return them as Buffers (explicitBufferAttributes). */
export const BINARY_ATTRIBUTES = [
  'msDS-DeviceID',
  'msDS-RegisteredOwner',
  'msDS-RegisteredUsers',
  'msDS-CloudAnchor',
  'msDS-ComputerSID',
  'objectGUID',
  'objectSid',
  'sIDHistory',
  'tokenGroups',
  'msDS-IssuerPublicCertificates',
  'msDS-CloudIssuerPublicCertificates',
  'userCertificate',
] as const;

const BINARY_LOWER = new Set<string>(BINARY_ATTRIBUTES.map((a) => a.toLowerCase()));

/** Attributes holding SIDs (binary or SID text): returned as SID text by searchAttributes. */
export const SID_ATTRIBUTES: ReadonlySet<string> = new Set([
  'objectsid', 'sidhistory', 'tokengroups', 'msds-registeredowner', 'msds-registeredusers', 'msds-computersid',
]);

/** Attributes holding GUIDs in Guid.ToByteArray order. */
export const GUID_ATTRIBUTES: ReadonlySet<string> = new Set(['objectguid', 'msds-deviceid']);

export function isBinaryAttribute(name: string): boolean {
  return BINARY_LOWER.has(name.toLowerCase());
}

export const DEVICE_REGISTRATION_SERVICE_RDN =
  'CN=DeviceRegistrationService,CN=Device Registration Services,CN=Device Registration Configuration,CN=Services';

export const SHA1_TP_PUBKEY_PREFIX = 'X509:<SHA1-TP-PUBKEY>';
