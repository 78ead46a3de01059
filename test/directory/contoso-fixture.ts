// Expectations for fixtures/contoso.ldif, read from its manifest fixtures/devices.json.
import { readFileSync } from 'node:fs';
import type { DeviceRecord } from '../../src/directory/index.js';
import type { FixtureDevice, FixtureSpec } from './directory-cases.js';

const ROOT = new URL('../../', import.meta.url).pathname;

interface ManifestDevice {
  deviceId: string;
  displayName: string;
  key: string;
  inDirectory: boolean;
  directory: null | {
    enabled: boolean; osType: string; osVersion: string; trustType: number; isManaged: boolean; cloudIsManaged: boolean;
    isCompliant: boolean | null; owner: string; registeredUsers: string[]; lastLogon?: string; keys: number;
  };
}

interface Manifest {
  ldif: string;
  serviceAccount: { dn: string; password: string };
  cas: { publishedInDirectory: boolean }[];
  devices: ManifestDevice[];
  users: { name: string; sid: string; upn: string }[];
}

export function contosoFixture(): FixtureSpec {
  const manifest = JSON.parse(readFileSync(`${ROOT}fixtures/devices.json`, 'utf8')) as Manifest;
  const byId = new Map<string, { keys: string[]; expect: Partial<DeviceRecord>; absent: (keyof DeviceRecord)[]; keyCount: number }>();
  for (const d of manifest.devices) {
    if (!d.inDirectory || !d.directory) continue;
    const x = d.directory;
    const existing = byId.get(d.deviceId);
    if (existing) {
      existing.keys.push(d.key);
      continue;
    }
    const expect: Partial<DeviceRecord> = {
      displayName: d.displayName, isEnabled: x.enabled, osType: x.osType, osVersion: x.osVersion, trustType: x.trustType,
      isManaged: x.isManaged, cloudIsManaged: x.cloudIsManaged, registeredOwner: x.owner, registeredUsers: x.registeredUsers,
      ...(x.isCompliant !== null ? { isCompliant: x.isCompliant } : {}),
      ...(x.lastLogon ? { approximateLastLogon: new Date(x.lastLogon) } : {}),
    };
    byId.set(d.deviceId, { keys: [d.key], expect, absent: x.isCompliant === null ? ['isCompliant'] : [], keyCount: x.keys });
  }
  const devices: FixtureDevice[] = [...byId].map(([deviceId, v]) => ({ deviceId, keys: v.keys, expect: v.expect, absent: v.absent }));
  const rejoined = [...byId].find(([, v]) => v.keyCount >= 2);
  if (!rejoined) throw new Error('fixtures/devices.json: no device with two keys (re-join)');
  const dan = manifest.users.find((u) => u.name === 'dan') ?? manifest.users[0]!;
  return {
    ldifPath: `${ROOT}${manifest.ldif}`,
    devices,
    rejoinedDeviceId: rejoined[0],
    user: { sAMAccountName: dan.name, sid: dan.sid, upn: dan.upn },
    issuerCertificateCount: manifest.cas.filter((c) => c.publishedInDirectory).length,
    serviceAccount: manifest.serviceAccount,
  };
}
