import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { normalizeTextBytes } from '../text/index.js';
import type { DevicePresentation } from '../policy/index.js';
import { RejectedInputError } from './io.js';

/** --cert / --thumbprint / --device-id, shared by `decide` and `device`. */
export const DEVICE_OPTIONS = {
  cert: { type: 'string' },
  thumbprint: { type: 'string' },
  'device-id': { type: 'string' },
} as const;

export interface DeviceFlags {
  readonly cert?: string | undefined;
  readonly thumbprint?: string | undefined;
  readonly 'device-id'?: string | undefined;
}

/** The device as the request names it (the caller has checked at most one flag is set); undefined: none. */
export async function devicePresentationFromFlags(flags: DeviceFlags, cwd: string): Promise<DevicePresentation | undefined> {
  if (flags.cert !== undefined) {
    let bytes: Buffer;
    try {
      bytes = normalizeTextBytes(await readFile(resolve(cwd, flags.cert)));
    } catch (error) {
      throw new RejectedInputError(`--cert ${flags.cert}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const text = bytes.toString('latin1');
    // PEM goes through as text; DER as base64, the two forms the HTTP API takes.
    return { certificate: text.includes('-----BEGIN') ? text : bytes.toString('base64') };
  }
  if (flags.thumbprint !== undefined) return { thumbprint: flags.thumbprint };
  if (flags['device-id'] !== undefined) return { deviceId: flags['device-id'] };
  return undefined;
}
