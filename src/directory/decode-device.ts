import type { DeviceRecord } from './device-record.js';
import { DirectoryError } from './errors.js';
import { bytesToGuid } from './guid-codec.js';
import { rawBytes, rawText, type RawEntry, type RawValue } from './raw-entry.js';
import { decodeSid } from './sid-codec.js';

// FILETIME epoch (1601-01-01) to Unix epoch, in 100-ns ticks.
const FILETIME_UNIX_OFFSET = 116444736000000000n;
// AD writes 0 for "never" and 0x7FFFFFFFFFFFFFFF for "no expiry": neither is a moment in time.
const FILETIME_NEVER = 9223372036854775807n;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function bad(entry: RawEntry, attribute: string, what: string): DirectoryError {
  return new DirectoryError('DG_ERR_DIRECTORY_DATA', `device ${entry.dn}: ${attribute} ${what}`, attribute);
}

/** FILETIME decimal text -> Date; undefined for the "never" values 0 and int64 max. */
export function fileTimeToDate(text: string): Date | undefined {
  if (!/^-?\d{1,20}$/.test(text)) throw new RangeError('not a FILETIME');
  const ticks = BigInt(text);
  if (ticks <= 0n || ticks >= FILETIME_NEVER) return undefined;
  return new Date(Number((ticks - FILETIME_UNIX_OFFSET) / 10000n));
}

export function dateToFileTime(date: Date): string {
  return (BigInt(date.getTime()) * 10000n + FILETIME_UNIX_OFFSET).toString();
}

/** GeneralizedTime (`20240101120000.0Z`, AD whenCreated) -> Date. */
export function generalizedTimeToDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,](\d+))?Z$/.exec(text);
  if (!m) return undefined;
  const ms = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms));
}

function single(entry: RawEntry, name: string): RawValue | undefined {
  return entry.attributes.get(name.toLowerCase())?.[0];
}

function all(entry: RawEntry, name: string): readonly RawValue[] | undefined {
  const values = entry.attributes.get(name.toLowerCase());
  return values && values.length > 0 ? values : undefined;
}

function text(entry: RawEntry, name: string): string | undefined {
  const v = single(entry, name);
  return v === undefined ? undefined : rawText(v);
}

function bool(entry: RawEntry, name: string): boolean | undefined {
  const v = text(entry, name);
  if (v === undefined) return undefined;
  const upper = v.trim().toUpperCase();
  if (upper === 'TRUE') return true;
  if (upper === 'FALSE') return false;
  throw bad(entry, name, 'is not TRUE or FALSE');
}

function int(entry: RawEntry, name: string): number | undefined {
  const v = text(entry, name);
  if (v === undefined) return undefined;
  if (!/^-?\d{1,15}$/.test(v.trim())) throw bad(entry, name, 'is not an integer');
  return Number(v.trim());
}

function sid(entry: RawEntry, name: string, value: RawValue): string {
  const decoded = decodeSid(value);
  if (decoded === undefined) throw bad(entry, name, 'is neither a binary SID nor SID text');
  return decoded;
}

function guid(entry: RawEntry, name: string): string | undefined {
  const v = single(entry, name);
  if (v === undefined) return undefined;
  const bytes = rawBytes(v);
  if (bytes.length !== 16) throw bad(entry, name, `is ${bytes.length} bytes, not 16`);
  return bytesToGuid(bytes);
}

function printableOrBase64(value: RawValue): string {
  if (typeof value === 'string') return value;
  const t = value.toString('utf8');
  // eslint-disable-next-line no-control-regex
  return Buffer.from(t, 'utf8').equals(value) && !/[\u0000-\u001f\u007f\ufffd]/.test(t) ? t : value.toString('base64');
}

/** Decode an msDS-Device entry. Absent attributes stay absent; malformed ones raise DG_ERR_DIRECTORY_DATA. */
export function decodeDevice(entry: RawEntry): DeviceRecord {
  const record: Mutable<DeviceRecord> = {
    dn: entry.dn,
    altSecurityIdentities: (all(entry, 'altSecurityIdentities') ?? []).map(rawText),
  };
  const cn = text(entry, 'cn');
  if (cn !== undefined) record.cn = cn;
  const deviceId = guid(entry, 'msDS-DeviceID');
  if (deviceId !== undefined) record.deviceId = deviceId;
  const displayName = text(entry, 'displayName');
  if (displayName !== undefined) record.displayName = displayName;
  const isEnabled = bool(entry, 'msDS-IsEnabled');
  if (isEnabled !== undefined) record.isEnabled = isEnabled;
  const osType = text(entry, 'msDS-DeviceOSType');
  if (osType !== undefined) record.osType = osType;
  const osVersion = text(entry, 'msDS-DeviceOSVersion');
  if (osVersion !== undefined) record.osVersion = osVersion;
  const physical = all(entry, 'msDS-DevicePhysicalIDs');
  if (physical) record.physicalIds = physical.map(rawText);
  const objectVersion = int(entry, 'msDS-DeviceObjectVersion');
  if (objectVersion !== undefined) record.objectVersion = objectVersion;
  const owner = single(entry, 'msDS-RegisteredOwner');
  if (owner !== undefined) record.registeredOwner = sid(entry, 'msDS-RegisteredOwner', owner);
  const users = all(entry, 'msDS-RegisteredUsers');
  if (users) record.registeredUsers = users.map((u) => sid(entry, 'msDS-RegisteredUsers', u));
  const lastLogon = text(entry, 'msDS-ApproximateLastLogonTimeStamp');
  if (lastLogon !== undefined) {
    let date: Date | undefined;
    try {
      date = fileTimeToDate(lastLogon.trim());
    } catch {
      throw bad(entry, 'msDS-ApproximateLastLogonTimeStamp', 'is not a FILETIME');
    }
    if (date !== undefined) record.approximateLastLogon = date;
  }
  const isManaged = bool(entry, 'msDS-IsManaged');
  if (isManaged !== undefined) record.isManaged = isManaged;
  const cloudIsManaged = bool(entry, 'msDS-CloudIsManaged');
  if (cloudIsManaged !== undefined) record.cloudIsManaged = cloudIsManaged;
  const isCompliant = bool(entry, 'msDS-IsCompliant');
  if (isCompliant !== undefined) record.isCompliant = isCompliant;
  const trustType = int(entry, 'msDS-DeviceTrustType');
  if (trustType !== undefined) record.trustType = trustType;
  const mdm = text(entry, 'msDS-DeviceMDMStatus');
  if (mdm !== undefined) record.mdmStatus = mdm;
  const anchor = single(entry, 'msDS-CloudAnchor');
  if (anchor !== undefined) record.cloudAnchor = printableOrBase64(anchor);
  const computerSid = single(entry, 'msDS-ComputerSID');
  if (computerSid !== undefined) record.computerSid = sid(entry, 'msDS-ComputerSID', computerSid);
  const keyLinks = all(entry, 'msDS-KeyCredentialLink');
  if (keyLinks) record.keyCredentialLinks = keyLinks.map(rawText);
  const objectGuid = guid(entry, 'objectGUID');
  if (objectGuid !== undefined) record.objectGuid = objectGuid;
  const created = text(entry, 'whenCreated');
  const createdDate = created === undefined ? undefined : generalizedTimeToDate(created);
  if (createdDate) record.whenCreated = createdDate;
  const changed = text(entry, 'whenChanged');
  const changedDate = changed === undefined ? undefined : generalizedTimeToDate(changed);
  if (changedDate) record.whenChanged = changedDate;
  return record;
}

/** Attribute values as strings for searchAttributes: SIDs as SID text, GUIDs hyphenated, other bytes UTF-8 or base64. */
export function valueToString(attributeLower: string, value: RawValue, sidAttributes: ReadonlySet<string>, guidAttributes: ReadonlySet<string>): string {
  if (sidAttributes.has(attributeLower)) return decodeSid(value) ?? printableOrBase64(value);
  if (guidAttributes.has(attributeLower) && typeof value !== 'string' && value.length === 16) return bytesToGuid(value);
  return printableOrBase64(value);
}
