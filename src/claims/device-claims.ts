import { makeClaim, type Claim } from '../language/index.js';
import type { DeviceRecord } from '../directory/index.js';
import { DEVICE_CLAIM_TYPES as T, LOCAL_AUTHORITY } from './claim-types.js';

export interface DeviceClaimOptions {
  /** The caller's primarysid; without it no isregistereduser claim is issued. */
  readonly primarySid?: string | undefined;
  /** Map msDS-DeviceTrustType 0/1/2 to Workplace/AzureAd/ServerAd instead of the stored number. */
  readonly trustTypeNames?: boolean | undefined;
}

const TRUST_TYPE_NAMES: Readonly<Record<number, string>> = { 0: 'Workplace', 1: 'AzureAd', 2: 'ServerAd' };

export function trustTypeValue(trustType: number, names: boolean): string {
  return (names ? TRUST_TYPE_NAMES[trustType] : undefined) ?? String(trustType);
}

function claim(type: string, value: string): Claim {
  return makeClaim({ type, value, issuer: LOCAL_AUTHORITY, originalIssuer: LOCAL_AUTHORITY });
}

/** SIDs compare case-insensitively ("s-1-5-..." and "S-1-5-..." name the same principal). */
export function isRegisteredUser(record: DeviceRecord, primarySid: string): boolean {
  const sid = primarySid.trim().toUpperCase();
  if (record.registeredOwner !== undefined && record.registeredOwner.toUpperCase() === sid) return true;
  return record.registeredUsers?.some((u) => u.toUpperCase() === sid) ?? false;
}

/**
 * The device claims AD FS issues for a known (authenticated) device (design.md "Device claims").
 * Only call this for a device whose status is `known`; absent attributes give no claim, except
 * ismanaged / iscompliant which are always `true`/`false`.
 */
export function deviceClaims(record: DeviceRecord, options: DeviceClaimOptions = {}): Claim[] {
  const out: Claim[] = [];
  if (record.deviceId !== undefined) out.push(claim(T.identifier, record.deviceId));
  if (record.displayName !== undefined) out.push(claim(T.displayName, record.displayName));
  if (record.osType !== undefined) out.push(claim(T.osType, record.osType));
  if (record.osVersion !== undefined) out.push(claim(T.osVersion, record.osVersion));
  out.push(claim(T.isKnown, 'true'));
  out.push(claim(T.isManaged, record.isManaged === true || record.cloudIsManaged === true ? 'true' : 'false'));
  out.push(claim(T.isCompliant, record.isCompliant === true ? 'true' : 'false'));
  if (record.trustType !== undefined) out.push(claim(T.trustType, trustTypeValue(record.trustType, options.trustTypeNames === true)));
  if (options.primarySid !== undefined && options.primarySid !== '') {
    out.push(claim(T.isRegisteredUser, isRegisteredUser(record, options.primarySid) ? 'true' : 'false'));
  }
  if (record.approximateLastLogon !== undefined && !Number.isNaN(record.approximateLastLogon.getTime())) {
    out.push(claim(T.usageTime, record.approximateLastLogon.toISOString()));
  }
  return out;
}
