import type { DeviceStatus } from '../claims/index.js';
import type { Claim } from '../language/index.js';

/** The device status is the claims folder's (only `known` yields device claims). */
export type { DeviceStatus };

export type DecisionResult = 'permit' | 'deny' | 'mfa_required';

/**
 * How the caller identified the device: `certificate` (the device certificate, checked for validity
 * and issuer) or `identifier` (a thumbprint or device ID, which proves nothing by itself).
 */
export type DeviceProof = 'certificate' | 'identifier';

/** Where the device record came from on this request. */
export type DeviceSource = 'cache' | 'directory' | 'stale_cache' | 'none';

/** The device part of a decision request: exactly one way to name a device, or none. */
export type DevicePresentation =
  | { readonly certificate: string }
  | { readonly thumbprint: string }
  | { readonly deviceId: string };

/** The device, as the decision pipeline sees it (filled by the device resolver). */
export interface ResolvedDevice {
  readonly status: DeviceStatus;
  readonly source: DeviceSource;
  readonly id?: string;
  readonly displayName?: string;
  readonly trustType?: string;
  readonly managed?: boolean;
  readonly compliant?: boolean;
  /** Device claims (empty unless status is known). */
  readonly claims: readonly Claim[];
  /** Why the status is what it is (untrusted certificate reason, directory error code ...). */
  readonly detail?: string;
}

export interface DecisionReason {
  /**
   * e.g. permit_rule, deny_rule, no_permit, mfa_required, policy_permit, policy_no_match, relying_party_disabled;
   * fail-closed denies: rule_error, attribute_store_error, evaluation_budget_exceeded, attribute_store_unavailable.
   */
  readonly code: string;
  /** @RuleName, or "authorization.rules#3 (line 12)", or the access control policy rule. */
  readonly rule?: string;
  readonly message: string;
}

export interface TraceEntry {
  readonly stage: 'caller_claims' | 'acceptance' | 'additional_authentication' | 'authorization' | 'issuance' | 'device' | 'access_control_policy';
  readonly rule: string;
  readonly fired: boolean;
  readonly produced?: readonly Claim[];
  readonly note?: string;
}

export interface Decision {
  readonly decision: DecisionResult;
  readonly relyingParty: { readonly id: string; readonly name: string };
  readonly device: {
    readonly status: DeviceStatus;
    readonly id?: string;
    readonly displayName?: string;
    readonly trustType?: string;
    readonly managed?: boolean;
    readonly compliant?: boolean;
    readonly source: DeviceSource;
    /** Absent when no device was presented. */
    readonly proof?: DeviceProof;
  };
  readonly reason: DecisionReason;
  readonly policyRevision: string;
  /** reportOnly relying parties: what enforcement would have decided. */
  readonly enforcement?: { readonly mode: 'reportOnly'; readonly decision: DecisionResult; readonly reason: DecisionReason };
  readonly trace?: readonly TraceEntry[];
  readonly issuedClaims?: readonly Claim[];
  /** With explain or issuedClaims: issuance rules skipped because they call a store devicegate cannot serve. */
  readonly notes?: readonly string[];
  /** Present only on what-if decisions made at another time (`simulate` + `at`): never an enforcement answer. */
  readonly simulation?: { readonly at: string };
}

export interface DecisionRequest {
  readonly relyingParty: string;
  readonly device?: DevicePresentation;
  readonly claims?: readonly Claim[];
  /**
   * A SAML 2.0 token (base64 or XML) whose verified claims are the user's claims; checked against
   * farm.json's samlTrustedSigners, at `at`, for an audience among the relying party's identifiers.
   * Refused together with `claims` (DG_ERR_SAML_WITH_CLAIMS): token claims and caller claims never mix.
   * Without `at`, each assertion ID is accepted once (replay cache).
   */
  readonly samlToken?: string;
  readonly explain?: boolean;
  readonly includeIssuedClaims?: boolean;
  /** Decision time (certificate validity, staleness); defaults to now. A what-if `at` also turns the SAML replay check off. */
  readonly at?: Date;
}

export interface RelyingPartySummary {
  readonly id: string; // first identifier
  readonly slug: string;
  readonly name: string;
  readonly identifiers: readonly string[];
  readonly enabled: boolean;
  readonly mode: 'enforce' | 'reportOnly';
  readonly accessControlPolicy?: { readonly name: string; readonly parameters?: Readonly<Record<string, unknown>> };
}

export interface DeviceDescription {
  readonly status: DeviceStatus;
  readonly source: DeviceSource;
  /** The decoded directory record, when one was found (also for disabled/stale/untrusted). */
  readonly record?: import('../directory/index.js').DeviceRecord;
  readonly claims: readonly Claim[];
  readonly detail?: string;
}

/**
 * The one decision code path behind HTTP, `devicegate decide` and the AuthZEN routes.
 * Throws coded errors (DG_ERR_*, with statusCode): unknown relying party 404, bad device input 400,
 * directory outage 503 only when onDirectoryError is "error".
 */
export interface DecisionEngine {
  decide(request: DecisionRequest): Promise<Decision>;
  /**
   * The same decision, returned as is when it needs no wait (a fresh cache hit, synchronous rules,
   * no SAML token) and as a promise otherwise; bad input throws synchronously. For the hot path.
   */
  decideNow(request: DecisionRequest): Decision | Promise<Decision>;
  /**
   * The decision when it can be made without any wait, else undefined, with no directory search or
   * store query started: how a full server still answers what its cache can (see WorkGate).
   */
  decideIfReady(request: DecisionRequest): Decision | undefined;
  describeDevice(device: DevicePresentation, options?: { primarySid?: string; at?: Date }): Promise<DeviceDescription>;
  relyingParties(): readonly RelyingPartySummary[];
  readonly revision: string;
  /** Re-reads rules/; on any error keeps the working registry and throws with every diagnostic. */
  reload(): Promise<{ readonly revision: string; readonly changed: boolean }>;
  /** Purges one cached device (normalized thumbprint / device ID / key) or all; returns how many entries went. */
  purgeCache(key?: string): number;
  readiness(): Promise<{ readonly ok: boolean; readonly rules: boolean; readonly directory: import('../directory/index.js').DirectoryHealth }>;
  close(): Promise<void>;
}
