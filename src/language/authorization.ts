import type { Claim } from './claim.js';
import { equalsIgnoreCase } from './compile-expression.js';
import type { EvaluationResult } from './compiled-rule-set.js';

/** Claim types and values the authorization and MFA helpers test (http:// URIs; reference §3.6). */
export const CLAIM_TYPES = {
  permit: 'http://schemas.microsoft.com/authorization/claims/permit',
  deny: 'http://schemas.microsoft.com/authorization/claims/deny',
  authenticationMethod: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod',
  authnMethodsReferences: 'http://schemas.microsoft.com/claims/authnmethodsreferences',
  /** the value (of authenticationmethod / authnmethodsreferences) that means multi-factor */
  multipleAuthn: 'http://schemas.microsoft.com/claims/multipleauthn',
  insideCorporateNetwork: 'http://schemas.microsoft.com/ws/2012/01/insidecorporatenetwork',
  groupSid: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid',
  primarySid: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid',
} as const;

export interface AuthorizationOutcome {
  result: 'permit' | 'deny' | 'none';
  ruleIndex?: number;
  claim?: Claim;
}

/** A deny claim anywhere in the output wins; else a permit claim permits; else none (callers deny). */
export function authorizationOutcome(result: EvaluationResult): AuthorizationOutcome {
  const { output } = result;
  let permitAt = -1;
  for (let i = 0; i < output.length; i++) {
    const type = output[i]!.type;
    if (equalsIgnoreCase(type, CLAIM_TYPES.deny)) return outcome('deny', i, result);
    if (permitAt < 0 && equalsIgnoreCase(type, CLAIM_TYPES.permit)) permitAt = i;
  }
  return permitAt >= 0 ? outcome('permit', permitAt, result) : { result: 'none' };
}

function outcome(kind: 'permit' | 'deny', i: number, result: EvaluationResult): AuthorizationOutcome {
  const o: AuthorizationOutcome = { result: kind, claim: result.output[i]! };
  const rule = result.producedBy[i];
  if (rule !== undefined) o.ruleIndex = rule;
  return o;
}

/** True when the output asks for MFA: authenticationmethod == http://schemas.microsoft.com/claims/multipleauthn. */
export function requiresMfa(output: readonly Claim[]): boolean {
  for (const c of output) {
    if (c.value === CLAIM_TYPES.multipleAuthn && equalsIgnoreCase(c.type, CLAIM_TYPES.authenticationMethod)) return true;
  }
  return false;
}
