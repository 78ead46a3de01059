import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseDeviceCertificate } from '../certificate/index.js';
import { SHA1_TP_PUBKEY_PREFIX, type DeviceDirectory } from '../directory/index.js';
import { LoadtestError } from './errors.js';

/** One device of the population, with every way it can be presented that the source gave. */
export interface PopulationDevice {
  readonly thumbprint?: string;
  readonly deviceId?: string;
  /** PEM or base64 DER, as a relying party would pass it. */
  readonly certificate?: string;
}

export type PresentationKind = 'certificate' | 'thumbprint' | 'deviceId';
export type PresentationMode = PresentationKind | 'mixed';
export type Presentation = { readonly certificate: string } | { readonly thumbprint: string } | { readonly deviceId: string };

const fail = (message: string): LoadtestError => new LoadtestError('DG_ERR_LOADTEST_POPULATION', message);
const THUMBPRINT_PREFIX = SHA1_TP_PUBKEY_PREFIX.toUpperCase();

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function fromObject(value: unknown): PopulationDevice | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const o = value as Record<string, unknown>;
  // A whole POST /v1/decisions body (as for `decide --batch`): its device.
  if (o.device !== undefined && o.thumbprint === undefined && o.certificate === undefined && o.deviceId === undefined) return fromObject(o.device);
  const device: { thumbprint?: string; deviceId?: string; certificate?: string } = {};
  const tp = str(o.thumbprint);
  const id = str(o.deviceId);
  const cert = str(o.certificate);
  if (tp !== undefined) device.thumbprint = tp;
  if (id !== undefined) device.deviceId = id;
  if (cert !== undefined) device.certificate = cert;
  return tp ?? id ?? cert ? device : undefined;
}

/**
 * A population file: the fixtures' manifest (`{ devices: [{ thumbprint, deviceId, certificate: PATH,
 * inDirectory }] }`, devices not in the directory left out: --unknown-share makes unknown ones) or
 * JSON lines, each a presentation (`{"thumbprint": ...}`, `{"certificate": ...}`, `{"deviceId": ...}`)
 * or a whole decision request body with a `device`.
 */
export async function readPopulationFile(file: string, cwd: string): Promise<PopulationDevice[]> {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw fail(`--devices ${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const trimmed = text.trimStart();
  let manifest: unknown;
  if (trimmed.startsWith('{') && !trimmed.includes('\n{')) {
    try {
      manifest = JSON.parse(text);
    } catch {
      manifest = undefined;
    }
  }
  if (manifest !== undefined && typeof manifest === 'object' && manifest !== null && Array.isArray((manifest as { devices?: unknown }).devices)) {
    return fromManifest((manifest as { devices: unknown[] }).devices, file, path, cwd);
  }
  const out: PopulationDevice[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw fail(`${file}:${i + 1}: not JSON (expected one presentation per line, or the fixtures' devices.json)`);
    }
    const device = fromObject(value);
    if (!device) throw fail(`${file}:${i + 1}: no thumbprint, deviceId or certificate`);
    out.push(device);
  }
  if (out.length === 0) throw fail(`${file}: no devices`);
  return out;
}

async function fromManifest(devices: unknown[], file: string, path: string, cwd: string): Promise<PopulationDevice[]> {
  const out: PopulationDevice[] = [];
  // Certificate paths in the manifest are relative to the repository (fixtures/devices/x.crt.pem).
  const bases = [cwd, dirname(dirname(path)), dirname(path)];
  for (const [i, entry] of devices.entries()) {
    if (entry === null || typeof entry !== 'object') throw fail(`${file}: devices[${i}] is not an object`);
    const e = entry as Record<string, unknown>;
    if (e.inDirectory === false) continue;
    const device: { thumbprint?: string; deviceId?: string; certificate?: string } = {};
    if (str(e.thumbprint)) device.thumbprint = e.thumbprint as string;
    if (str(e.deviceId)) device.deviceId = e.deviceId as string;
    const certPath = str(e.certificate);
    if (certPath !== undefined) {
      if (certPath.includes('-----BEGIN')) device.certificate = certPath;
      else device.certificate = await readFirst(bases.map((b) => resolve(b, certPath)), `${file}: devices[${i}].certificate ${certPath}`);
    }
    if (device.thumbprint ?? device.deviceId ?? device.certificate) out.push(device);
  }
  if (out.length === 0) throw fail(`${file}: no devices in the directory`);
  return out;
}

async function readFirst(paths: string[], what: string): Promise<string> {
  for (const p of paths) {
    try {
      return await readFile(p, 'utf8');
    } catch {
      // try the next base
    }
  }
  throw fail(`${what}: cannot read`);
}

/** Up to `limit` real device objects from the directory (a paged search), as thumbprints and device IDs. */
export async function samplePopulation(directory: DeviceDirectory, limit: number): Promise<PopulationDevice[]> {
  if (!directory.sampleDevices) throw fail(`${directory.description}: this directory cannot list devices`);
  const records = await directory.sampleDevices(limit);
  const out: PopulationDevice[] = [];
  for (const record of records) {
    const device: { thumbprint?: string; deviceId?: string } = {};
    for (const value of record.altSecurityIdentities) {
      if (value.toUpperCase().startsWith(THUMBPRINT_PREFIX)) {
        device.thumbprint = value.slice(THUMBPRINT_PREFIX.length, THUMBPRINT_PREFIX.length + 40).toUpperCase();
        break;
      }
    }
    if (record.deviceId !== undefined) device.deviceId = record.deviceId;
    if (device.thumbprint ?? device.deviceId) out.push(device);
  }
  if (out.length === 0) throw fail(`${directory.description}: no device objects found`);
  return out;
}

/** The kinds a device can be presented as; thumbprints are derived from certificates when missing. */
export function completeDevice(device: PopulationDevice): PopulationDevice {
  if (device.thumbprint !== undefined || device.certificate === undefined) return device;
  try {
    return { ...device, thumbprint: parseDeviceCertificate(device.certificate).thumbprint };
  } catch {
    return device;
  }
}

export function kindsOf(device: PopulationDevice): PresentationKind[] {
  const kinds: PresentationKind[] = [];
  if (device.certificate !== undefined) kinds.push('certificate');
  if (device.thumbprint !== undefined) kinds.push('thumbprint');
  if (device.deviceId !== undefined) kinds.push('deviceId');
  return kinds;
}

export function present(device: PopulationDevice, kind: PresentationKind): Presentation | undefined {
  switch (kind) {
    case 'certificate':
      return device.certificate !== undefined ? { certificate: device.certificate } : undefined;
    case 'thumbprint':
      return device.thumbprint !== undefined ? { thumbprint: device.thumbprint } : undefined;
    case 'deviceId':
      return device.deviceId !== undefined ? { deviceId: device.deviceId } : undefined;
  }
}
