import type { DeviceRecord } from '../directory/index.js';

export type DeviceStatus =
  | 'not_presented'
  | 'unknown'
  | 'disabled'
  | 'stale'
  | 'untrusted_certificate'
  | 'directory_unavailable'
  /** Presented by thumbprint or device ID while farm.json says identifierPresentations "untrusted". */
  | 'untrusted_identifier'
  /** Two or more device objects match the presented key: none of them is believed. */
  | 'ambiguous'
  | 'known';

export interface DeviceStatusInput {
  /** Did the request name a device at all? */
  readonly presented: boolean;
  /** Presented by an identifier only, and the farm does not accept identifiers as authentication. */
  readonly untrustedIdentifier?: boolean;
  /** The directory failed (and no cached answer was usable). */
  readonly directoryFailed?: boolean;
  /** The record found, if any. */
  readonly record?: DeviceRecord | undefined;
  /** Certificate check outcome when a certificate was presented; undefined when none was. */
  readonly certificate?: { readonly ok: true } | { readonly ok: false; readonly code: string; readonly message: string } | undefined;
  readonly now: Date;
  /** Off (undefined or 0) by default. */
  readonly maxInactiveDays?: number | undefined;
}

export interface DeviceStatusResult {
  readonly status: DeviceStatus;
  readonly detail?: string;
}

const DAY_MS = 86_400_000;

/**
 * Decides the device status (design.md "Device status"). Order: nothing presented, identifier not
 * accepted, directory outage, no object, several objects, certificate failure (an unproven device is never known, whatever its record says),
 * disabled, stale, known.
 */
export function deviceStatus(input: DeviceStatusInput): DeviceStatusResult {
  if (!input.presented) return { status: 'not_presented' };
  if (input.untrustedIdentifier === true) {
    return { status: 'untrusted_identifier', detail: 'presented by thumbprint or device ID, which farm.json identifierPresentations "untrusted" does not accept' };
  }
  if (input.directoryFailed === true) return { status: 'directory_unavailable', detail: 'the directory could not be searched' };
  const record = input.record;
  if (record === undefined) return { status: 'unknown', detail: 'no device object matches' };
  if (record.duplicates !== undefined && record.duplicates.length > 0) {
    return { status: 'ambiguous', detail: `${record.duplicates.length + 1} device objects match: ${[record.dn, ...record.duplicates].join(' | ')}` };
  }
  if (input.certificate !== undefined && !input.certificate.ok) {
    return { status: 'untrusted_certificate', detail: `${input.certificate.code}: ${input.certificate.message}` };
  }
  // msDS-IsEnabled is mandatory; an object without it is treated like a disabled one (fail closed).
  if (record.isEnabled !== true) {
    return { status: 'disabled', detail: record.isEnabled === false ? 'msDS-IsEnabled is FALSE' : 'msDS-IsEnabled is absent' };
  }
  const days = input.maxInactiveDays;
  if (days !== undefined && days > 0 && record.approximateLastLogon !== undefined) {
    const age = input.now.getTime() - record.approximateLastLogon.getTime();
    if (age > days * DAY_MS) {
      return { status: 'stale', detail: `last logon ${record.approximateLastLogon.toISOString()} is more than ${days} days old` };
    }
  }
  return { status: 'known' };
}
