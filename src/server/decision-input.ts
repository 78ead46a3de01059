import { makeClaim, type Claim } from '../language/index.js';
import type { DevicePresentation } from '../policy/index.js';
import { ServerError } from './errors.js';

export interface ClaimInputValue {
  type: string;
  value: string;
  valueType?: string;
  issuer?: string;
  originalIssuer?: string;
  properties?: Record<string, string>;
}

export interface DeviceInputValue {
  certificate?: string;
  thumbprint?: string;
  deviceId?: string;
}

const NO_CLAIMS: readonly Claim[] = Object.freeze([]);

export function toClaims(input: readonly ClaimInputValue[] | undefined): readonly Claim[] {
  if (input === undefined || input.length === 0) return NO_CLAIMS;
  const out = new Array<Claim>(input.length);
  for (let i = 0; i < input.length; i++) out[i] = makeClaim(input[i]!);
  return out;
}

/** The schema already guarantees exactly one property; this only narrows the type. */
export function toDevice(input: DeviceInputValue | undefined): DevicePresentation | undefined {
  if (input === undefined) return undefined;
  if (input.certificate !== undefined) return { certificate: input.certificate };
  if (input.thumbprint !== undefined) return { thumbprint: input.thumbprint };
  if (input.deviceId !== undefined) return { deviceId: input.deviceId };
  return undefined;
}

const SEPARATORS = /[\s:]/g;
const HEX40 = /^[0-9A-F]{40}$/;

/** Accepts lower case and colon/space separated forms; returns 40 upper-case hex digits. */
export function normalizeThumbprint(value: string, field: string): string {
  const normalized = value.replace(SEPARATORS, '').toUpperCase();
  if (!HEX40.test(normalized)) throw new ServerError('DG_ERR_SERVER_BAD_THUMBPRINT', `"${field}" must be 40 hex digits (SHA-1 thumbprint)`, field);
  return normalized;
}
