// The hybrid certificate trust prerequisites that depend on device writeback, for one user: AD FS
// enrolls a WHfB certificate only when the user's key (msDS-KeyCredentialLink) meets a written-back,
// enabled device registered to that user.
import { decodeKeyCredentialLink, isSidText, SHA1_TP_PUBKEY_PREFIX, type DirectoryScanner, type UserLookup } from '../directory/index.js';
import { normalizeDeviceId } from '../certificate/index.js';

/** Keys (and so device look-ups) one check covers at most. */
export const MAX_KEYS_CHECKED = 64;

export type CheckStatus = 'pass' | 'fail' | 'warn';

export interface WhfbCheckItem {
  readonly check: string;
  readonly status: CheckStatus;
  readonly message: string;
  /** What to do when it does not pass. */
  readonly fix?: string;
  readonly keyId?: string;
  readonly deviceId?: string;
}

export interface WhfbCheckResult {
  readonly user: { readonly query: string; readonly dn?: string; readonly sid?: string; readonly upn?: string };
  /** Every check passed (warnings allowed). */
  readonly ok: boolean;
  readonly checks: readonly WhfbCheckItem[];
}

/** `--user` as given: a UPN (has @), a SID (S-1-...), or a DN (has =). Undefined when it is none of them. */
export function parseUserLookup(text: string): UserLookup | undefined {
  const t = text.trim();
  if (t === '' || t.length > 1024) return undefined;
  if (isSidText(t.toUpperCase())) return { sid: t.toUpperCase() };
  if (t.includes('=')) return { dn: t };
  if (/^[^@\s]+@[^@\s]+$/.test(t)) return { upn: t };
  return undefined;
}

export async function checkWhfb(scanner: DirectoryScanner, userText: string, options: { readonly deviceId?: string } = {}): Promise<WhfbCheckResult> {
  const checks: WhfbCheckItem[] = [];
  const add = (item: WhfbCheckItem) => checks.push(item);
  const lookup = parseUserLookup(userText);
  if (!lookup) throw new RangeError('--user must be a UPN (user@domain), a SID (S-1-5-...) or a DN (CN=...)');
  const onlyDevice = options.deviceId === undefined ? undefined : normalizeDeviceId(options.deviceId);

  const naming = await scanner.naming();
  add(
    naming.drsExists
      ? { check: 'device_registration_service', status: 'pass', message: `device registration service object ${naming.drsDn} exists; devices are written to ${naming.devicesDn}` }
      : {
          check: 'device_registration_service',
          status: 'fail',
          message: `no device registration service object at ${naming.drsDn}`,
          fix: 'initialise device writeback (Entra Connect: Initialize-ADSyncDeviceWriteBack, or AD FS: Initialize-ADDeviceRegistration)',
        },
  );

  const user = await scanner.findUser(lookup);
  if (!user) {
    add({ check: 'user_exists', status: 'fail', message: `no user matches ${userText}`, fix: 'check the UPN/SID/DN; the user must be in the domain devicegate reads' });
    return { user: { query: userText }, ok: false, checks };
  }
  add({ check: 'user_exists', status: 'pass', message: `${user.dn}${user.sid ? ` (${user.sid})` : ''}` });
  const who = { query: userText, dn: user.dn, ...(user.sid ? { sid: user.sid } : {}), ...(user.upn ? { upn: user.upn } : {}) };

  const decoded = user.keyCredentialLinks.map(decodeKeyCredentialLink);
  for (const key of decoded.filter((k) => k.problems.length > 0)) {
    add({ check: 'key_readable', status: 'warn', message: `a key value cannot be used: ${key.problems.join('; ')}`, fix: 'remove the malformed msDS-KeyCredentialLink value', ...(key.keyId ? { keyId: key.keyId } : {}) });
  }
  const ngc = decoded.filter((k) => k.problems.length === 0 && k.usage === 'NGC' && (onlyDevice === undefined || k.deviceId === onlyDevice));
  if (ngc.length === 0) {
    add({
      check: 'user_has_ngc_keys',
      status: 'fail',
      message: onlyDevice ? `no Windows Hello for Business key of this user was made on device ${onlyDevice}` : 'the user has no Windows Hello for Business (NGC) key in msDS-KeyCredentialLink',
      fix: 'provision Windows Hello for Business on the device, then check that Entra Connect syncs msDS-KeyCredentialLink back (Entra Connect 1.1.819+ with the WS2016 schema)',
    });
    return { user: who, ok: false, checks };
  }
  add({ check: 'user_has_ngc_keys', status: 'pass', message: `${ngc.length} NGC key(s)` });
  // One directory look-up per key: a user with an absurd number of values must not turn one check
  // (an HTTP request too) into as many searches.
  if (ngc.length > MAX_KEYS_CHECKED) {
    add({ check: 'keys_checked', status: 'warn', message: `only the first ${MAX_KEYS_CHECKED} of ${ngc.length} NGC keys are checked`, fix: 'remove stale keys (or pass --device to check one device)' });
  }

  for (const key of ngc.slice(0, MAX_KEYS_CHECKED)) {
    const ids = { keyId: key.keyId!, ...(key.deviceId ? { deviceId: key.deviceId } : {}) };
    if (key.deviceId === undefined) {
      add({ check: 'device_written_back', status: 'fail', message: 'the key names no device', fix: 're-provision Windows Hello for Business on the device', ...ids });
      continue;
    }
    const found = await scanner.findDevicesById(key.deviceId);
    const device = found.find((d) => d.record)?.record;
    if (!device) {
      add({
        check: 'device_written_back',
        status: 'fail',
        message: `device ${key.deviceId} is not in AD`,
        fix: 'device not written back: check Entra Connect device writeback (enabled, the device in a synced scope, the connector account can write to the device container)',
        ...ids,
      });
      continue;
    }
    add({ check: 'device_written_back', status: 'pass', message: `device ${device.displayName ?? key.deviceId} is ${device.dn}`, ...ids });
    if (found.length > 1) add({ check: 'device_unique', status: 'warn', message: `${found.length} objects carry msDS-DeviceID ${key.deviceId}: ${found.map((d) => d.dn).join('; ')}`, fix: 'delete the duplicates', ...ids });
    add(
      device.isEnabled === true
        ? { check: 'device_enabled', status: 'pass', message: 'msDS-IsEnabled TRUE', ...ids }
        : { check: 'device_enabled', status: 'fail', message: 'the device is disabled', fix: 'enable the device in Entra ID (writeback then sets msDS-IsEnabled TRUE)', ...ids },
    );
    const owners = [...(device.registeredOwner ? [device.registeredOwner] : []), ...(device.registeredUsers ?? [])];
    add(
      user.sid !== undefined && owners.includes(user.sid)
        ? { check: 'device_registered_to_user', status: 'pass', message: `${user.sid} is the registered owner or a registered user`, ...ids }
        : {
            check: 'device_registered_to_user',
            status: 'fail',
            message: `the device is registered to ${owners.length > 0 ? owners.join(', ') : 'nobody'}, not to ${user.sid ?? 'this user'}`,
            fix: 'the user must register (or join) the device themself; re-register it under this user',
            ...ids,
          },
    );
    const certKey = device.altSecurityIdentities.some((v) => v.toUpperCase().startsWith(SHA1_TP_PUBKEY_PREFIX.toUpperCase()));
    add(
      certKey
        ? { check: 'device_certificate_key', status: 'pass', message: 'altSecurityIdentities holds the device certificate key', ...ids }
        : {
            check: 'device_certificate_key',
            status: 'fail',
            message: 'altSecurityIdentities holds no X509:<SHA1-TP-PUBKEY> certificate key',
            fix: 'the device certificate key was not written back: re-run device writeback for this device (or re-join it)',
            ...ids,
          },
    );
  }
  return { user: who, ok: checks.every((c) => c.status !== 'fail'), checks };
}
