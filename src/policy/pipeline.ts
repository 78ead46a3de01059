import { makeClaim, MULTIPLE_AUTHN, REQUEST_CLAIM_TYPES, type Claim } from '../claims/index.js';
import { authorizationOutcome, claimTypeEquals, isLanguageError, type AttributeStore, type EvaluationResult, type LanguageError } from '../language/index.js';
import { describeAcpRule, evaluateAccessControlPolicy, mfaDone, type CompiledAccessControlPolicy } from './access-control-policies.js';
import type { DecisionReason, DecisionResult, TraceEntry } from './decision-types.js';
import { failClosedReason } from './fail-closed.js';
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
const T_AUTHN_METHOD = REQUEST_CLAIM_TYPES.authenticationMethod;

/** A rule set threw a LanguageError while evaluating: the decision fails closed (deny, naming the rule). */
class StageFailure extends Error {
  constructor(
    readonly stage: Stage,
    readonly loaded: LoadedRuleSet,
    readonly error: LanguageError,
  ) {
    super(error.message);
  }
}

function stageFailure(stage: Stage, loaded: LoadedRuleSet, error: unknown): unknown {
  return isLanguageError(error) ? new StageFailure(stage, loaded, error) : error;
}

/** Runs one rule set; the sync evaluator unless the set calls an attribute store. */
async function run(loaded: LoadedRuleSet, input: readonly Claim[], options: PipelineOptions, stage: Stage, trace: TraceEntry[] | undefined): Promise<RunResult> {
  const set = loaded.ruleSet;
  const evalOptions = trace !== undefined ? { trace: true, stores: options.stores } : { stores: options.stores };
  let result: RunResult;
  try {
    result = set.usesStores ? await set.evaluateAsync(input, evalOptions) : set.evaluate(input, evalOptions);
  } catch (error) {
    throw stageFailure(stage, loaded, error);
  }
  if (trace !== undefined) appendTrace(trace, stage, loaded, result);
  return result;
}

/** The synchronous evaluation of the fast path, with the same failure mapping. */
function runSync(loaded: LoadedRuleSet, input: readonly Claim[], stage: Stage): RunResult {
  try {
    return loaded.ruleSet.evaluate(input);
  } catch (error) {
    throw stageFailure(stage, loaded, error);
  }
}

/** A failed stage -> deny with the fail-closed reason (and a trace entry when explaining). */
function failClosed(failure: StageFailure, trace: TraceEntry[] | undefined): PipelineResult {
  const rule = labelOf(failure.loaded, failure.error.ruleIndex);
  const reason = failClosedReason(rule, failure.error);
  if (trace === undefined) return { decision: 'deny', reason };
  trace.push({ stage: failure.stage, rule, fired: false, note: `evaluation failed: ${failure.error.code}` });
  return { decision: 'deny', reason, trace };
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

/**
 * Labels and outcomes of a rule set's rules, made once per loaded rule set (a reload makes new
 * ones) instead of one template string per decision. The reasons are frozen: every decision that
 * ends on the same rule shares one.
 */
interface Outcomes {
  readonly labels: (string | undefined)[];
  readonly permit: (AuthzOutcome | undefined)[];
  readonly deny: (AuthzOutcome | undefined)[];
}

const outcomesBySet = new WeakMap<LoadedRuleSet, Outcomes>();

function outcomesOf(loaded: LoadedRuleSet): Outcomes {
  let o = outcomesBySet.get(loaded);
  if (o === undefined) outcomesBySet.set(loaded, (o = { labels: [], permit: [], deny: [] }));
  return o;
}

// Slot for "no rule index" (a claim that did not come from a rule): labelled by file.
const NO_RULE = -1;

/** `@RuleName` when the rule has one, else `<file>#<n> (line <l>)`. */
function labelOf(loaded: LoadedRuleSet, ruleIndex: number | undefined): string {
  const o = outcomesOf(loaded);
  const slot = ruleIndex ?? NO_RULE;
  const known = slot >= 0 ? o.labels[slot] : undefined;
  if (known !== undefined) return known;
  const label = makeLabel(loaded, ruleIndex);
  if (slot >= 0) o.labels[slot] = label;
  return label;
}

function makeLabel(loaded: LoadedRuleSet, ruleIndex: number | undefined): string {
  if (ruleIndex === undefined) return loaded.file;
  const info = loaded.ruleSet.rules[ruleIndex];
  if (info === undefined) return `${loaded.file}#${ruleIndex + 1}`;
  return info.name !== undefined ? info.name : `${loaded.name}${info.label}`;
}

function ruleOutcome(loaded: LoadedRuleSet, kind: 'permit' | 'deny', ruleIndex: number | undefined): AuthzOutcome {
  const cache = outcomesOf(loaded)[kind];
  const slot = ruleIndex ?? NO_RULE;
  const known = slot >= 0 ? cache[slot] : undefined;
  if (known !== undefined) return known;
  const rule = labelOf(loaded, ruleIndex);
  const made: AuthzOutcome =
    kind === 'permit'
      ? Object.freeze({ decision: 'permit', reason: Object.freeze({ code: 'permit_rule', rule, message: `permitted by rule "${rule}"` }) })
      : Object.freeze({ decision: 'deny', reason: Object.freeze({ code: 'deny_rule', rule, message: `denied by rule "${rule}"` }) });
  if (slot >= 0) cache[slot] = made;
  return made;
}

/** The rule index that issued the first MFA demand, or undefined when the output demands none. */
function mfaDemand(result: RunResult): number | undefined {
  for (let i = 0; i < result.output.length; i++) {
    const c = result.output[i]!;
    if (c.value === MULTIPLE_AUTHN && claimTypeEquals(c.type, T_AUTHN_METHOD)) return result.producedBy[i] ?? -1;
  }
  return undefined;
}

interface AuthzOutcome {
  readonly decision: DecisionResult;
  readonly reason: DecisionReason;
}

const NO_AUTHORIZATION_RULES: AuthzOutcome = Object.freeze({
  decision: 'deny',
  reason: Object.freeze({ code: 'no_permit', message: 'the relying party has no authorization rules' }),
});
const NO_PERMIT: AuthzOutcome = Object.freeze({ decision: 'deny', reason: Object.freeze({ code: 'no_permit', message: 'no authorization rule issued a permit claim' }) });

/** Outcomes of an access control policy, per rule, made once per compiled policy. */
interface AcpOutcomes {
  readonly permit: (AuthzOutcome | undefined)[];
  readonly mfa: (AuthzOutcome | undefined)[];
  readonly deny: AuthzOutcome;
}

const acpOutcomes = new WeakMap<CompiledAccessControlPolicy, AcpOutcomes>();

function acpOutcome(acp: CompiledAccessControlPolicy, result: 'permit' | 'deny' | 'mfa_required', ruleIndex: number | undefined): AuthzOutcome {
  let o = acpOutcomes.get(acp);
  if (o === undefined) {
    o = {
      permit: [],
      mfa: [],
      deny: Object.freeze({
        decision: 'deny',
        reason: Object.freeze({ code: 'policy_no_match', rule: acp.name, message: `no rule of access control policy "${acp.name}" permits this request` }),
      }),
    };
    acpOutcomes.set(acp, o);
  }
  if (result === 'deny') return o.deny;
  const i = ruleIndex!;
  const list = result === 'permit' ? o.permit : o.mfa;
  let made = list[i];
  if (made === undefined) {
    const rule = describeAcpRule(acp, i);
    made =
      result === 'permit'
        ? Object.freeze({ decision: 'permit', reason: Object.freeze({ code: 'policy_permit', rule, message: `permitted by access control policy ${rule}` }) })
        : Object.freeze({ decision: 'mfa_required', reason: Object.freeze({ code: 'mfa_required', rule, message: `MFA required by access control policy ${rule}` }) });
    list[i] = made;
  }
  return made;
}

/** What authorization rule output decides. */
function authorizationResult(authz: LoadedRuleSet, result: RunResult): AuthzOutcome {
  const outcome = authorizationOutcome(result);
  if (outcome.result === 'deny') return ruleOutcome(authz, 'deny', outcome.ruleIndex);
  if (outcome.result === 'permit') return ruleOutcome(authz, 'permit', outcome.ruleIndex);
  return NO_PERMIT;
}

async function authorize(rp: LoadedRelyingParty, claims: readonly Claim[], options: PipelineOptions, trace: TraceEntry[] | undefined): Promise<AuthzOutcome> {
  const acp = rp.accessControlPolicy;
  if (acp !== undefined) {
    const outcome = evaluateAccessControlPolicy(acp, { claims, relyingPartyIdentifiers: rp.summary.identifiers });
    if (trace !== undefined) {
      acp.rules.forEach((_, i) =>
        trace.push({ stage: 'access_control_policy', rule: describeAcpRule(acp, i), fired: i === outcome.ruleIndex, ...(i === outcome.ruleIndex ? { note: outcome.result } : {}) }),
      );
    }
    return acpOutcome(acp, outcome.result, outcome.ruleIndex);
  }
  const authz = rp.authorization;
  if (authz === undefined) return NO_AUTHORIZATION_RULES;
  return authorizationResult(authz, await run(authz, claims, options, 'authorization', trace));
}

function mfaRequired(mfaBy: string, after: AuthzOutcome): AuthzOutcome {
  return after.decision === 'permit'
    ? { decision: 'mfa_required', reason: { code: 'mfa_required', rule: mfaBy, message: `MFA required by rule "${mfaBy}"; authorization permits after MFA (${after.reason.rule ?? after.reason.code})` } }
    : after;
}

/**
 * The AD FS claims pipeline for one relying party (reference §2.8-2.10):
 * acceptance -> additional authentication (farm + RP, OR-ed) -> authorization -> issuance.
 */
export async function runPipeline(registry: Registry, rp: LoadedRelyingParty, input: readonly Claim[], options: PipelineOptions): Promise<PipelineResult> {
  const now = runPipelineNow(registry, rp, input, options);
  if (now !== undefined) return now;
  const trace: TraceEntry[] | undefined = options.explain ? [] : undefined;
  try {
    return await runStages(registry, rp, input, options, trace);
  } catch (error) {
    if (error instanceof StageFailure) return failClosed(error, trace);
    throw error;
  }
}

async function runStages(registry: Registry, rp: LoadedRelyingParty, input: readonly Claim[], options: PipelineOptions, trace: TraceEntry[] | undefined): Promise<PipelineResult> {
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
    outcome = mfaRequired(mfaBy, await authorize(rp, [...accepted, MFA_CLAIM], options, trace));
  } else {
    outcome = await authorize(rp, accepted, options, trace);
  }

  let issuedClaims: readonly Claim[] | undefined;
  if (options.includeIssuedClaims) {
    issuedClaims = outcome.decision === 'permit' || rp.summary.mode === 'reportOnly' ? await issue(rp, accepted, options, trace) : [];
  }
  if (trace === undefined && issuedClaims === undefined) return outcome;
  return {
    decision: outcome.decision,
    reason: outcome.reason,
    ...(trace !== undefined ? { trace } : {}),
    ...(issuedClaims !== undefined ? { issuedClaims } : {}),
  };
}

// ---- The same pipeline without a trace, issuance or attribute stores: no promise, no await. ----

/**
 * runPipeline, synchronously, when it can be: no explain, no issued claims, and no stage that
 * calls an attribute store. Otherwise undefined (call runPipeline).
 */
export function runPipelineNow(registry: Registry, rp: LoadedRelyingParty, input: readonly Claim[], options: PipelineOptions): PipelineResult | undefined {
  if (options.explain || options.includeIssuedClaims || !isSync(registry, rp)) return undefined;
  const shared = Object.isFrozen(input);
  if (shared) {
    const known = outcomesByInput.get(input)?.get(rp);
    if (known !== undefined) return known;
  }
  let outcome: AuthzOutcome;
  try {
    outcome = decideSync(registry, rp, input);
  } catch (error) {
    if (error instanceof StageFailure) return failClosed(error, undefined);
    throw error;
  }
  if (shared) {
    let byParty = outcomesByInput.get(input);
    if (byParty === undefined) outcomesByInput.set(input, (byParty = new WeakMap()));
    byParty.set(rp, Object.isFrozen(outcome) ? outcome : Object.freeze({ decision: outcome.decision, reason: Object.freeze({ ...outcome.reason }) }));
  }
  return outcome;
}

/**
 * Outcomes of the synchronous pipeline over a frozen input, per relying party. A frozen input is a
 * shared one: the claims of a cached device's resolution, when the caller sent no claims of its own.
 * The outcome is a function of the input and the loaded relying party only (no attribute store, no
 * clock: rules see nothing else), so it is computed once; a reload makes new relying-party objects,
 * and a refreshed cache entry new claims. An input with caller claims is a fresh array: evaluated.
 */
const outcomesByInput = new WeakMap<readonly Claim[], WeakMap<LoadedRelyingParty, AuthzOutcome>>();

const syncByParty = new WeakMap<LoadedRelyingParty, boolean>();

/** True when no stage a plain decision runs calls an attribute store (fixed per loaded relying party). */
function isSync(registry: Registry, rp: LoadedRelyingParty): boolean {
  let sync = syncByParty.get(rp);
  if (sync === undefined) {
    const sets = [registry.acceptance, registry.globalAdditionalAuthentication, rp.additionalAuthentication, rp.accessControlPolicy === undefined ? rp.authorization : undefined];
    sync = sets.every((s) => s === undefined || !s.ruleSet.usesStores);
    syncByParty.set(rp, sync);
  }
  return sync;
}

function authorizeSync(rp: LoadedRelyingParty, claims: readonly Claim[]): AuthzOutcome {
  const acp = rp.accessControlPolicy;
  if (acp !== undefined) {
    const outcome = evaluateAccessControlPolicy(acp, { claims, relyingPartyIdentifiers: rp.summary.identifiers });
    return acpOutcome(acp, outcome.result, outcome.ruleIndex);
  }
  const authz = rp.authorization;
  if (authz === undefined) return NO_AUTHORIZATION_RULES;
  return authorizationResult(authz, runSync(authz, claims, 'authorization'));
}

function decideSync(registry: Registry, rp: LoadedRelyingParty, input: readonly Claim[]): AuthzOutcome {
  const accepted = registry.acceptance !== undefined ? runSync(registry.acceptance, input, 'acceptance').output : input;
  let mfaBy: string | undefined;
  for (const loaded of [registry.globalAdditionalAuthentication, rp.additionalAuthentication]) {
    if (loaded === undefined) continue;
    const index = mfaDemand(runSync(loaded, accepted, 'additional_authentication'));
    if (index !== undefined) {
      mfaBy = labelOf(loaded, index < 0 ? undefined : index);
      break;
    }
  }
  if (mfaBy !== undefined && !mfaDone(accepted)) return mfaRequired(mfaBy, authorizeSync(rp, [...accepted, MFA_CLAIM]));
  return authorizeSync(rp, accepted);
}

async function issue(rp: LoadedRelyingParty, accepted: readonly Claim[], options: PipelineOptions, trace: TraceEntry[] | undefined): Promise<readonly Claim[]> {
  if (rp.issuance === undefined) return [];
  return (await run(rp.issuance, accepted, options, 'issuance', trace)).output;
}
