import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openLdifDirectory, type DeviceDirectory } from '../../src/directory/index.js';
import { makeClaim, REQUEST_CLAIM_TYPES as R, type Claim } from '../../src/claims/index.js';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const RULES = join(ROOT, 'rules');
export const LDIF = join(ROOT, 'fixtures/contoso.ldif');

export interface FixtureDevice {
  slug: string;
  deviceId: string;
  displayName: string;
  certificate: string;
  thumbprint: string;
  expectedStatus: string;
  inDirectory: boolean;
  directory?: { owner: string; isCompliant: boolean | null; enabled: boolean };
}
export interface FixtureUser {
  name: string;
  sid: string;
  upn: string;
  groups: string[];
}
export interface Manifest {
  referenceTime: string;
  maxInactiveDays: number;
  devices: FixtureDevice[];
  users: FixtureUser[];
  groups: { name: string; sid: string }[];
}

export const manifest: Manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/devices.json'), 'utf8'));
export const REFERENCE_TIME = new Date(manifest.referenceTime);
export const now = (): Date => REFERENCE_TIME;

export function device(slug: string): FixtureDevice {
  const d = manifest.devices.find((x) => x.slug === slug);
  if (!d) throw new Error(`no fixture device ${slug}`);
  return d;
}
export function certificatePem(slug: string): string {
  return readFileSync(join(ROOT, device(slug).certificate), 'utf8');
}
export function user(name: string): FixtureUser {
  const u = manifest.users.find((x) => x.name === name);
  if (!u) throw new Error(`no fixture user ${name}`);
  return u;
}
export function groupSid(name: string): string {
  return manifest.groups.find((g) => g.name === name)!.sid;
}

/** The claims AD FS would hold for a Windows-authenticated user (primary SID, group SIDs, account name). */
export function userClaims(u: FixtureUser, inside = true): Claim[] {
  return [
    makeClaim({ type: R.primarySid, value: u.sid, issuer: 'AD AUTHORITY' }),
    makeClaim({ type: R.windowsAccountName, value: `CONTOSO\\${u.name}`, issuer: 'AD AUTHORITY' }),
    makeClaim({ type: R.upn, value: u.upn, issuer: 'AD AUTHORITY' }),
    ...u.groups.map((g) => makeClaim({ type: R.groupSid, value: groupSid(g), issuer: 'AD AUTHORITY' })),
    makeClaim({ type: R.insideCorporateNetwork, value: inside ? 'true' : 'false' }),
  ];
}

export function openFixtureDirectory(): Promise<DeviceDirectory> {
  return openLdifDirectory(LDIF);
}

/** A temporary rules/ tree: a copy of the samples (or empty) plus the given files (null deletes). */
export async function tempRules(files: Record<string, string | null>, fromSamples = false): Promise<{ dir: string; write: (f: Record<string, string | null>) => Promise<void>; done: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'dg-rules-'));
  if (fromSamples) await cp(RULES, dir, { recursive: true });
  const write = async (f: Record<string, string | null>): Promise<void> => {
    for (const [path, content] of Object.entries(f)) {
      const abs = join(dir, path);
      if (content === null) await rm(abs, { force: true, recursive: true });
      else {
        await mkdir(dirname(abs), { recursive: true });
        await writeFile(abs, content);
      }
    }
  };
  await write(files);
  return { dir, write, done: () => rm(dir, { recursive: true, force: true }) };
}

export const PERMIT_ALL = '=> issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");\n';

export function rp(name: string, identifiers: string[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ name, identifiers, enabled: true, mode: 'enforce', ...extra });
}
