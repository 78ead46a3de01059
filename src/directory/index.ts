export type { DeviceDirectory, DeviceQuery, DeviceRecord, DirectoryHealth, DirectoryStats, DirectoryServerHealth, DirectoryChange, ChangeBatch, ChangeTracking, ChangeTrackingState } from './device-record.js';
export { DirectoryError, DIRECTORY_ERROR_CODES, isDirectoryError, type DirectoryErrorCode } from './errors.js';
export { bytesToGuid, guidToBytes } from './guid-codec.js';
export { binarySidToText, sidTextToBinary, decodeSid, isSidText } from './sid-codec.js';
export { decodeDevice, fileTimeToDate, dateToFileTime, generalizedTimeToDate } from './decode-device.js';
export type { RawEntry, RawValue } from './raw-entry.js';
export { rawText, rawBytes } from './raw-entry.js';
export { DEVICE_ATTRIBUTES, BINARY_ATTRIBUTES, SHA1_TP_PUBKEY_PREFIX, DEVICE_REGISTRATION_SERVICE_RDN } from './device-attributes.js';
export { parseLdif, type LdifEntry } from './parse-ldif.js';
export { escapeFilterValue } from './escape-filter-value.js';
export { parseFilter, type FilterNode } from './ldap-filter.js';
export { matchFilter } from './match-filter.js';
export { LdifDirectory, openLdifDirectory } from './ldif-directory.js';
export { LdapDirectory, toRawEntry, type LdapDirectoryOptions } from './ldap-directory.js';
export { LdapPool, type LdapPoolOptions, type PoolServerState } from './ldap-pool.js';
export { openDirectory, directoryOptionsFromEnv, parseLdapUrls, ldapConnectionSettings, DEFAULT_DIRECTORY_URL, type DirectoryOptions, type LdapConnectionSettings } from './open-directory.js';
export {
  decodeKeyCredentialLink,
  decodeKeyCredentialBlob,
  parseDnBinary,
  readRsaKeyMaterial,
  KEY_CREDENTIAL_ENTRY,
  KEY_USAGE_NAMES,
  KEY_SOURCE_NAMES,
  type KeyCredential,
  type RsaPublicKey,
} from './key-credential-link.js';
export { openScanner } from './open-scanner.js';
export {
  DEFAULT_PAGE_SIZE,
  type DirectoryScanner,
  type DirectoryNaming,
  type ScannedDevice,
  type ScannedUser,
  type UserLookup,
} from './directory-scanner.js';
export { ChangeTracker, type ChangeTrackerOptions } from './change-tracker.js';
export { SILENT_LOGGER, type DirectoryLogger } from './directory-logger.js';
