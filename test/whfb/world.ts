// The WHfB world's manifest (fixtures/whfb/world.json, written by scripts/fixtures/whfb-world.ts).
import { readFileSync } from 'node:fs';

export interface WorldManifest {
  readonly ldif: string;
  readonly referenceTime: string;
  readonly staleDays: number;
  readonly domain: { readonly dn: string; readonly devicesDn: string; readonly deviceRegistrationServiceDn: string };
  readonly serviceAccount: { readonly dn: string; readonly password: string };
  readonly users: readonly { name: string; dn: string; sid: string; upn: string; keys: { device: string; deviceId: string; roca: boolean; malformed: boolean }[] }[];
  readonly devices: readonly { slug: string; dn: string; deviceId: string; enabled: boolean; trustType: number; osType: string; managed: boolean; compliant: boolean; stale: boolean; owner: string | null; registeredUsers: string[] }[];
  readonly findings: readonly { kind: string; dn: string }[];
}

export const WORLD_LDIF = new URL('../../fixtures/whfb/world.ldif', import.meta.url).pathname;
export const world: WorldManifest = JSON.parse(readFileSync(new URL('../../fixtures/whfb/world.json', import.meta.url), 'utf8')) as WorldManifest;
