import { makeClaim, MULTIPLE_AUTHN, REQUEST_CLAIM_TYPES, type Claim } from '../claims/index.js';
import { authorizationOutcome, type AttributeStore, type EvaluationResult } from '../language/index.js';
import { describeAcpRule, evaluateAccessControlPolicy, mfaDone } from './access-control-policies.js';
import type { DecisionReason, DecisionResult, TraceEntry } from './decision-types.js';
import type { LoadedRelyingParty, LoadedRuleSet, Registry } from './registry.js';

export interface PipelineOptions {
  readonly explain: boolean;
  readonly includeIssuedClaims: boolean;
  readonly stores: Readonly<Record<string, AttributeStore>>;
}

export interface PipelineResult {
  /** What enforcement decides (reportOnly is applied by the caller). */
  readonly decision: DecisionResult;
  readonly reason: DecisionReason;
  readonly trace?: TraceEntry[];
  /** Issuance transform output (only when asked and enforcement permits). */
  readonly issuedClaims?: readonly Claim[];
}

type Stage = TraceEntry['stage'];

type RunResult = EvaluationResult;

const MFA_CLAIM = makeClaim({ type: REQUEST_CLAIM_TYPES.authnMethodsReferences, value: MULTIPLE_AUTHN });
const T_AUTHN_METHOD = REQUEST_CLAIM_TYPES.authenticationMethod.toLowerCase();

/** Runs one rule set; the sync evaluator unless the set calls an attribute store. */
async function run(loaded: LoadedRuleSet, input: readonly Claim[], options: PipelineOptions, stage: Stage, trace: TraceEntry[] | undefined): Promise<RunResult> {
  const set = loaded.ruleSet;
  const evalOptions = trace !== undefined ? { trace: true, stores: options.stores } : { stores: options.stores };
  const result = set.usesStores ? await set.evaluateAsync(input, evalOptions) : set.evaluate(input, evalOptions);
  if (trace !== undefined) appendTrace(trace, stage, loaded, result);
  return result;
}

function appendTrace(trace: TraceEntry[], stage: Stage, loaded: LoadedRuleSet, result: EvaluationResult): void {
  for (const f of result.trace ?? []) {
    trace.push({
      stage,
      rule: labelOf(loaded, f.rule.index),
      fired: f.fired,
      ...(f.produced.length > 0 ? { produced: f.produced } : {}),
      ...(f.kind === 'add' && f.fired ? { note: 'add (input only)' } : {}),
    });
  }
}

/** `@RuleName` when the rule has one, else `<file>#<n> (line <l>)`. */
function labelOf(loaded: LoadedRuleSet, ruleIndex: number | undefined): string {
  if (ruleIndex === undefined) return loaded.file;
  const info = loaded.ruleSet.rules[ruleIndex];
  if (info === undefined) return `${loaded.file}#${ruleIndex + 1}`;
  return info.name !== undefined ? info.name : `${loaded.name}${info.label}`;
}

/** The rule index that issued the first MFA demand, or undefined when the output demands none. */
function mfaDemand(result: RunResult): number | undefined {
  for (let i = 0; i < result.output.length; i++) {
    const c = result.output[i]!;
    if (c.type.toLowerCase() === T_AUTHN_METHOD && c.value === MULTIPLE_AUTHN) return result.producedBy[i] ?? -1;
  }
  return undefined;
}

interface AuthzOutcome {
  readonly decision: DecisionResult;
  readonly reason: DecisionReason;
}

async function authorize(rp: LoadedRelyingParty, claims: readonly Claim[], options: PipelineOptions, trace: TraceEntry[] | undefined): Promise<AuthzOutcome> {
  const acp = rp.accessControlPolicy;
  if (acp !== undefined) {
    const outcome = evaluateAccessControlPolicy(acp, { claims, relyingPartyIdentifiers: rp.summary.identifiers });
    const rule = outcome.ruleIndex !== undefined ? describeAcpRule(acp, outcome.ruleIndex) : undefined;
    if (trace !== undefined) {
      acp.rules.forEach((_, i) =>
        trace.push({ stage: 'access_control_policy', rule: describeAcpRule(acp, i), fired: i === outcome.ruleIndex, ...(i === outcome.ruleIndex ? { note: outcome.result } : {}) }),
      );
    }
    switch (outcome.result) {
      case 'permit':
        return { decision: 'permit', reason: { code: 'policy_permit', rule: rule!, message: `permitted by access control policy ${rule!}` } };
      case 'mfa_required':
        return { decision: 'mfa_required', reason: { code: 'mfa_required', rule: rule!, message: `MFA required by access control policy ${rule!}` } };
      case 'deny':
        return { decision: 'deny', reason: { code: 'policy_no_match', rule: acp.name, message: `no rule of access control policy "${acp.name}" permits this request` } };
    }
  }
  const authz = rp.authorization;
  if (authz === undefined) return { decision: 'deny', reason: { code: 'no_permit', message: 'the relying party has no authorization rules' } };
  const result = await run(authz, claims, options, 'authorization', trace);
  const outcome = authorizationOutcome(result);
  if (outcome.result === 'deny') {
    const rule = labelOf(authz, outcome.ruleIndex);
    return { decision: 'deny', reason: { code: 'deny_rule', rule, message: `denied by rule "${rule}"` } };
  }
  if (outcome.result === 'permit') {
    const rule = labelOf(authz, outcome.ruleIndex);
    return { decision: 'permit', reason: { code: 'permit_rule', rule, message: `permitted by rule "${rule}"` } };
  }
  return { decision: 'deny', reason: { code: 'no_permit', message: 'no authorization rule issued a permit claim' } };
}

/**
 * The AD FS claims pipeline for one relying party (reference §2.8-2.10):
 * acceptance -> additional authentication (farm + RP, OR-ed) -> authorization -> issuance.
 */
export async function runPipeline(registry: Registry, rp: LoadedRelyingParty, input: readonly Claim[], options: PipelineOptions): Promise<PipelineResult> {
  const trace: TraceEntry[] | undefined = options.explain ? [] : undefined;
  const accepted = registry.acceptance !== undefined ? (await run(registry.acceptance, input, options, 'acceptance', trace)).output : input;

  let mfaBy: string | undefined;
  for (const loaded of [registry.globalAdditionalAuthentication, rp.additionalAuthentication]) {
    if (loaded === undefined) continue;
    const result = await run(loaded, accepted, options, 'additional_authentication', trace);
    const index = mfaDemand(result);
    if (index !== undefined && mfaBy === undefined) mfaBy = labelOf(loaded, index < 0 ? undefined : index);
    if (mfaBy !== undefined && trace === undefined) break; // OR: one demand is enough
  }

  let outcome: AuthzOutcome;
  if (mfaBy !== undefined && !mfaDone(accepted)) {
    // MFA comes first; authorization then sees the post-MFA claims. Ask for MFA only if that would permit.
    const after = await authorize(rp, [...accepted, MFA_CLAIM], options, trace);
    outcome =
      after.decision === 'permit'
        ? { decision: 'mfa_required', reason: { code: 'mfa_required', rule: mfaBy, message: `MFA required by rule "${mfaBy}"; authorization permits after MFA (${after.reason.rule ?? after.reason.code})` } }
        : after;
  } else {
    outcome = await authorize(rp, accepted, options, trace);
  }

  let issuedClaims: readonly Claim[] | undefined;
  if (options.includeIssuedClaims) {
    issuedClaims = outcome.decision === 'permit' || rp.summary.mode === 'reportOnly' ? await issue(rp, accepted, options, trace) : [];
  }
  return {
    decision: outcome.decision,
    reason: outcome.reason,
    ...(trace !== undefined ? { trace } : {}),
    ...(issuedClaims !== undefined ? { issuedClaims } : {}),
  };
}

async function issue(rp: LoadedRelyingParty, accepted: readonly Claim[], options: PipelineOptions, trace: TraceEntry[] | undefined): Promise<readonly Claim[]> {
  if (rp.issuance === undefined) return [];
  return (await run(rp.issuance, accepted, options, 'issuance', trace)).output;
}
