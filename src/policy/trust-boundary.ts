import { AUTHORIZATION_CLAIM_TYPES, DEVICE_CLAIM_TYPES, REQUEST_CLAIM_TYPES, type Claim } from '../claims/index.js';
import { claimTypeEquals } from '../language/index.js';

/**
 * The one trust boundary for claims that come from outside (the request's `claims`, AuthZEN
 * subject/context claims, a SAML token's claims): which claim types a caller may assert.
 *
 * Device-context claims come only from the directory, and permit/deny claims only from the
 * relying party's own rules, so a caller claim is dropped when the rule evaluator's `Type ==`
 * comparison (claimTypeEquals: the very function the evaluator uses, case and Unicode folds included)
 * says its type equals one of those types, written with http:// or https://, or starts with one
 * of the device-context namespaces (so device-context types devicegate does not issue today cannot
 * be asserted either). Dropping rather than refusing: see README "Security model".
 */

const httpsOf = (type: string): string => type.replace(/^http:/, 'https:');

/** Exact protected types (http:// as issued, plus the https:// spelling rules pasted from docs use). */
const PROTECTED_TYPES: readonly string[] = [...Object.values(DEVICE_CLAIM_TYPES), ...Object.values(AUTHORIZATION_CLAIM_TYPES)].flatMap((t) => [t, httpsOf(t)]);

/** The device-context namespaces (`.../devicecontext/`), both schemes. */
const PROTECTED_PREFIXES: readonly string[] = [
  ...new Set(
    Object.values(DEVICE_CLAIM_TYPES)
      .filter((t) => t.includes('/devicecontext/'))
      .map((t) => t.slice(0, t.indexOf('/devicecontext/') + '/devicecontext/'.length)),
  ),
].flatMap((p) => [p, httpsOf(p)]);

const BY_LENGTH = new Map<number, string[]>();
for (const t of PROTECTED_TYPES) {
  const list = BY_LENGTH.get(t.length);
  if (list === undefined) BY_LENGTH.set(t.length, [t]);
  else list.push(t);
}
const MIN_PREFIX_LENGTH = Math.min(...PROTECTED_PREFIXES.map((p) => p.length));
const SLASH = 47;

/** True when a caller may not assert a claim of this type (see the module comment). */
export function isProtectedClaimType(type: string): boolean {
  const n = type.length;
  const same = BY_LENGTH.get(n);
  if (same !== undefined) for (let i = 0; i < same.length; i++) if (claimTypeEquals(type, same[i]!)) return true;
  if (n >= MIN_PREFIX_LENGTH) {
    for (let i = 0; i < PROTECTED_PREFIXES.length; i++) {
      const p = PROTECTED_PREFIXES[i]!;
      // Every prefix ends in '/', which no case fold produces: a cheap exact pre-test.
      if (n >= p.length && type.charCodeAt(p.length - 1) === SLASH && claimTypeEquals(type.slice(0, p.length), p)) return true;
    }
  }
  return false;
}

export interface ScreenedClaims {
  /** The claims rules may see (the input array itself when nothing was dropped). */
  readonly claims: readonly Claim[];
  /** Claims removed at the boundary (empty in the usual case). */
  readonly dropped: readonly Claim[];
  /** The first primarysid claim's value (the device's isregistereduser claim depends on it). */
  readonly primarySid?: string;
}

const NONE: readonly Claim[] = Object.freeze([]);
const NO_CLAIMS: ScreenedClaims = Object.freeze({ claims: NONE, dropped: NONE });
const T_PRIMARY_SID = REQUEST_CLAIM_TYPES.primarySid;

/** Applies the trust boundary to claims from outside devicegate. */
export function screenCallerClaims(claims: readonly Claim[] | undefined): ScreenedClaims {
  if (claims === undefined || claims.length === 0) return NO_CLAIMS;
  let primarySid: string | undefined;
  let dropped: Claim[] | undefined;
  for (let i = 0; i < claims.length; i++) {
    const c = claims[i]!;
    if (isProtectedClaimType(c.type)) (dropped ??= []).push(c);
    else if (primarySid === undefined && c.type.length === T_PRIMARY_SID.length && claimTypeEquals(c.type, T_PRIMARY_SID)) primarySid = c.value;
  }
  const kept = dropped === undefined ? claims : claims.filter((c) => !dropped.includes(c));
  return { claims: kept, dropped: dropped ?? NONE, ...(primarySid !== undefined ? { primarySid } : {}) };
}
