// One paged pass over the devices, then one over the users holding keys. Per device only what the key
// pass needs is kept (a few fields, not the record), so memory grows with the number of devices by a
// small constant and never with the size of their attributes.
import { hasRocaFingerprint } from '../certificate/index.js';
import { decodeKeyCredentialLink, SHA1_TP_PUBKEY_PREFIX, type DeviceRecord, type DirectoryScanner } from '../directory/index.js';
import { KEY_AGE_BUCKETS, type DeviceCounts, type Finding, type InventoryReport, type KeyAgeBucket, type KeyCounts } from './inventory-report.js';

export interface InventoryOptions {
  /** A device whose last logon is older than this is stale (default 90, AD FS's MaximumInactiveDays). */
  readonly staleDays?: number;
  readonly now?: Date;
  readonly pageSize?: number;
  /** Called after every page: objects seen so far. */
  readonly onProgress?: (progress: { readonly devices: number; readonly users: number }) => void;
}

interface DeviceFacts {
  readonly dn: string;
  readonly enabled: boolean;
  readonly stale: boolean;
  readonly owners: ReadonlySet<string>;
}

const DAY_MS = 86_400_000;
const KEY_PREFIX_UPPER = SHA1_TP_PUBKEY_PREFIX.toUpperCase();
const normalizeDn = (dn: string) => dn.replace(/\s*,\s*/g, ',').toLowerCase();
const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

function ageBucket(created: Date | undefined, now: number): KeyAgeBucket {
  if (!created) return 'unknown';
  const days = (now - created.getTime()) / DAY_MS;
  return days < 90 ? 'under 90 days' : days < 365 ? '90 days to 1 year' : days < 730 ? '1 to 2 years' : 'over 2 years';
}

function emptyDeviceCounts(): DeviceCounts {
  return {
    total: 0, byTrustType: {}, byOs: {}, managed: 0, compliant: 0, enabled: 0, disabled: 0, stale: 0,
    withoutOwner: 0, withDuplicateKey: 0, outsideContainer: 0, withoutCertificateKey: 0, undecodable: 0,
  };
}

function emptyKeyCounts(): KeyCounts {
  return {
    usersWithKeys: 0, usersWithNgcKeys: 0, total: 0, byUsage: {}, bySource: {},
    byAge: Object.fromEntries(KEY_AGE_BUCKETS.map((b) => [b, 0])) as Record<KeyAgeBucket, number>,
    orphaned: 0, roca: 0, malformed: 0, deviceDisabled: 0, deviceStale: 0, deviceNotRegisteredToUser: 0,
  };
}

export async function buildInventory(scanner: DirectoryScanner, options: InventoryOptions = {}): Promise<InventoryReport> {
  const staleDays = options.staleDays ?? 90;
  const now = (options.now ?? new Date()).getTime();
  const staleBefore = now - staleDays * DAY_MS;
  const naming = await scanner.naming();
  const containerSuffix = `,${normalizeDn(naming.devicesDn)}`;
  const devices = emptyDeviceCounts();
  const keys = emptyKeyCounts();
  const findings: Finding[] = [];
  const byDeviceId = new Map<string, DeviceFacts>();
  // altSecurityIdentities certificate key (upper-cased) -> DNs holding it
  const certificateKeys = new Map<string, string[]>();
  let users = 0;

  const deviceFinding = (kind: Finding['kind'], dn: string, detail: string) => findings.push({ kind, dn, detail });

  for await (const page of scanner.devices(options.pageSize)) {
    for (const scanned of page) {
      devices.total++;
      const record = scanned.record;
      if (!record) {
        devices.undecodable++;
        deviceFinding('device_undecodable', scanned.dn, scanned.error ?? 'cannot be decoded');
        continue;
      }
      countDevice(record);
    }
    options.onProgress?.({ devices: devices.total, users });
  }

  function countDevice(record: DeviceRecord): void {
    bump(devices.byTrustType, record.trustType === undefined ? 'unknown' : String(record.trustType));
    bump(devices.byOs, record.osType ?? 'unknown');
    const managed = record.isManaged === true || record.cloudIsManaged === true;
    if (managed) devices.managed++;
    if (record.isCompliant === true) devices.compliant++;
    const enabled = record.isEnabled === true;
    if (enabled) devices.enabled++;
    else {
      devices.disabled++;
      deviceFinding('device_disabled', record.dn, `${record.displayName ?? record.deviceId ?? 'device'} is disabled (msDS-IsEnabled FALSE)`);
    }
    const lastLogon = record.approximateLastLogon?.getTime();
    const stale = lastLogon !== undefined && lastLogon < staleBefore;
    if (stale) {
      devices.stale++;
      deviceFinding('device_stale', record.dn, `last logon ${record.approximateLastLogon!.toISOString()} is older than ${staleDays} days`);
    }
    const owners = new Set<string>([...(record.registeredOwner ? [record.registeredOwner] : []), ...(record.registeredUsers ?? [])]);
    if (owners.size === 0) {
      devices.withoutOwner++;
      deviceFinding('device_without_owner', record.dn, 'no msDS-RegisteredOwner and no msDS-RegisteredUsers');
    }
    if (!normalizeDn(record.dn).endsWith(containerSuffix)) {
      devices.outsideContainer++;
      deviceFinding('device_outside_container', record.dn, `not under ${naming.devicesDn}${naming.deviceLocationFromDrs ? ' (msDS-DeviceLocation)' : ''}`);
    }
    const certKeys = record.altSecurityIdentities.filter((v) => v.toUpperCase().startsWith(KEY_PREFIX_UPPER));
    if (certKeys.length === 0) {
      devices.withoutCertificateKey++;
      deviceFinding('device_without_certificate_key', record.dn, 'no X509:<SHA1-TP-PUBKEY> value in altSecurityIdentities: certificate authentication cannot find it');
    }
    for (const k of certKeys) {
      const upper = k.toUpperCase();
      const holders = certificateKeys.get(upper);
      if (holders) holders.push(record.dn);
      else certificateKeys.set(upper, [record.dn]);
    }
    if (record.deviceId !== undefined) byDeviceId.set(record.deviceId, { dn: record.dn, enabled, stale, owners });
  }

  const duplicated = new Set<string>();
  for (const [key, holders] of certificateKeys) {
    if (holders.length < 2) continue;
    for (const dn of holders) {
      if (!duplicated.has(dn)) {
        duplicated.add(dn);
        devices.withDuplicateKey++;
      }
      deviceFinding('duplicate_certificate_key', dn, `certificate key ${key.slice(KEY_PREFIX_UPPER.length, KEY_PREFIX_UPPER.length + 40)}... is also on ${holders.filter((d) => d !== dn).join('; ')}`);
    }
  }
  certificateKeys.clear();

  for await (const page of scanner.keyHolders(options.pageSize)) {
    for (const user of page) {
      users++;
      keys.usersWithKeys++;
      let ngc = false;
      for (const value of user.keyCredentialLinks) {
        keys.total++;
        const key = decodeKeyCredentialLink(value);
        if (key.problems.length > 0) {
          keys.malformed++;
          findings.push({ kind: 'key_malformed', dn: user.dn, detail: `${key.keyId ?? 'key'}: ${key.problems.join('; ')}` });
          continue;
        }
        bump(keys.byUsage, key.usage ?? 'unknown');
        bump(keys.bySource, key.source ?? 'unknown');
        keys.byAge[ageBucket(key.created, now)]++;
        if (key.usage === 'NGC') ngc = true;
        const label = `key ${key.keyId}${key.deviceId ? ` (device ${key.deviceId})` : ''}`;
        if (key.rsa && hasRocaFingerprint(key.rsa.modulus)) {
          keys.roca++;
          findings.push({ kind: 'key_roca', dn: user.dn, detail: `${label}: RSA modulus has the ROCA fingerprint (CVE-2017-15361); replace the key (new WHfB enrollment on a patched TPM)` });
        }
        if (key.deviceId === undefined || key.usage !== 'NGC') continue;
        const device = byDeviceId.get(key.deviceId);
        if (!device) {
          keys.orphaned++;
          findings.push({ kind: 'key_orphaned', dn: user.dn, detail: `${label}: no device object has this msDS-DeviceID (not written back, or deleted)` });
          continue;
        }
        if (!device.enabled) {
          keys.deviceDisabled++;
          findings.push({ kind: 'key_device_disabled', dn: user.dn, detail: `${label}: device ${device.dn} is disabled` });
        }
        if (device.stale) {
          keys.deviceStale++;
          findings.push({ kind: 'key_device_stale', dn: user.dn, detail: `${label}: device ${device.dn} is stale` });
        }
        if (user.sid !== undefined && !device.owners.has(user.sid)) {
          keys.deviceNotRegisteredToUser++;
          findings.push({ kind: 'key_device_not_registered_to_user', dn: user.dn, detail: `${label}: device ${device.dn} is not registered to ${user.sid}` });
        }
      }
      if (ngc) keys.usersWithNgcKeys++;
    }
    options.onProgress?.({ devices: devices.total, users });
  }

  return {
    generatedAt: new Date(now).toISOString(),
    directory: scanner.description,
    devicesDn: naming.devicesDn,
    deviceLocationFromDrs: naming.deviceLocationFromDrs,
    deviceRegistrationService: naming.drsExists,
    staleDays,
    devices,
    keys,
    findings,
  };
}
