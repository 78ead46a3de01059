import { DEVICE_CLAIM_TYPES, MULTIPLE_AUTHN, REQUEST_CLAIM_TYPES, type Claim } from '../claims/index.js';
import { claimTypeEquals } from '../language/index.js';
import { describeRuleTemplate, instantiateCondition, SID_RE, type PolicyTemplate, type ValueRef } from './policy-metadata.js';

/**
 * The AD FS 2016+ built-in access control policies (reference adfs-claim-rules.md §3.2) as data,
 * evaluated as §3.5: rules OR-ed, conditions AND-ed, exceptions OR-ed, "require MFA" as an action
 * modifier. AD FS does not publish how it compiles a policy; this is our model of each name.
 */
export type AcpCondition =
  | { readonly kind: 'always' }
  | { readonly kind: 'network'; readonly location: 'intranet' | 'extranet' }
  | { readonly kind: 'groups'; readonly sids: readonly string[] }
  | { readonly kind: 'deviceTrust'; readonly level: 'authenticated' | 'managed' | 'compliant' }
  | { readonly kind: 'claim'; readonly type: string; readonly values: readonly string[] }
  /** The relying party is the device registration service (identifier urn:ms-drs:...). */
  | { readonly kind: 'deviceRegistration' }
  /** Several values of one condition in a custom policy ("from 'intranet' or 'extranet'"): OR. */
  | { readonly kind: 'any'; readonly of: readonly AcpCondition[] };

export interface AcpRule {
  readonly description: string;
  readonly conditions: readonly AcpCondition[];
  readonly exceptions: readonly AcpCondition[];
  readonly requireMfa: boolean;
}

export interface CompiledAccessControlPolicy {
  readonly name: string;
  readonly rules: readonly AcpRule[];
}

type Template = (groups: readonly string[]) => AcpRule[];

const ALWAYS: AcpCondition = { kind: 'always' };

function rule(description: string, conditions: AcpCondition[], requireMfa = false, exceptions: AcpCondition[] = []): AcpRule {
  return { description, conditions, exceptions, requireMfa };
}

/** Exact names as AD FS lists them; the boolean says whether GroupParameter is required. */
export const BUILT_IN_POLICIES: ReadonlyMap<string, { readonly needsGroups: boolean; readonly build: Template }> = new Map<
  string,
  { needsGroups: boolean; build: Template }
>([
  ['Permit everyone', { needsGroups: false, build: () => [rule('permit everyone', [ALWAYS])] }],
  ['Permit everyone and require MFA', { needsGroups: false, build: () => [rule('permit everyone with MFA', [ALWAYS], true)] }],
  [
    'Permit everyone and require MFA for specific group',
    {
      needsGroups: true,
      build: (sids) => [
        rule('permit members of the group with MFA', [{ kind: 'groups', sids }], true),
        rule('permit everyone else', [ALWAYS], false, [{ kind: 'groups', sids }]),
      ],
    },
  ],
  [
    'Permit everyone and require MFA from extranet access',
    {
      needsGroups: false,
      build: () => [
        rule('permit extranet requests with MFA', [{ kind: 'network', location: 'extranet' }], true),
        rule('permit intranet requests', [{ kind: 'network', location: 'intranet' }]),
      ],
    },
  ],
  [
    'Permit everyone and require MFA from unauthenticated devices',
    {
      needsGroups: false,
      build: () => [
        rule('permit authenticated devices', [{ kind: 'deviceTrust', level: 'authenticated' }]),
        rule('permit unauthenticated devices with MFA', [ALWAYS], true, [{ kind: 'deviceTrust', level: 'authenticated' }]),
      ],
    },
  ],
  [
    'Permit everyone and require MFA, allow automatic device registration',
    {
      needsGroups: false,
      build: () => [
        rule('permit device registration', [{ kind: 'deviceRegistration' }]),
        rule('permit everyone with MFA', [ALWAYS], true),
      ],
    },
  ],
  ['Permit everyone for intranet access', { needsGroups: false, build: () => [rule('permit intranet requests', [{ kind: 'network', location: 'intranet' }])] }],
  ['Permit specific group', { needsGroups: true, build: (sids) => [rule('permit members of the group', [{ kind: 'groups', sids }])] }],
]);


/** A policy defined in rules/access-control-policies/ (AD FS PolicyMetadata, parsed). */
export interface CustomAccessControlPolicy {
  readonly name: string;
  /** Where it is defined (shown in messages). */
  readonly file: string;
  readonly template: PolicyTemplate;
}

function parameterList(raw: unknown): unknown[] | undefined {
  return typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : undefined;
}

/** Validates the name and parameters (built-in or custom policy); returns the problems as messages (empty = fine). */
export function compileAccessControlPolicy(
  name: string,
  parameters: Readonly<Record<string, unknown>> | undefined,
  custom: ReadonlyMap<string, CustomAccessControlPolicy> = new Map(),
): { policy?: CompiledAccessControlPolicy; problems: string[] } {
  const own = custom.get(name);
  if (own !== undefined) return compileCustomPolicy(own, parameters);
  const template = BUILT_IN_POLICIES.get(name);
  if (template === undefined) {
    const customNames = [...custom.keys()].map((n) => `"${n}"`);
    return {
      problems: [
        `unknown access control policy "${name}" (built-in policies: ${[...BUILT_IN_POLICIES.keys()].map((n) => `"${n}"`).join(', ')}; ${customNames.length > 0 ? `defined in access-control-policies/: ${customNames.join(', ')}` : 'none defined in access-control-policies/'})`,
      ],
    };
  }
  const problems: string[] = [];
  let sids: string[] = [];
  for (const key of Object.keys(parameters ?? {})) {
    if (key !== 'GroupParameter') problems.push(`access control policy parameter "${key}" is not known (only GroupParameter)`);
  }
  const raw = parameters?.['GroupParameter'];
  if (template.needsGroups) {
    const list = parameterList(raw);
    if (list === undefined || list.length === 0) {
      problems.push(`access control policy "${name}" needs parameter GroupParameter (one or more group SIDs)`);
    } else {
      for (const value of list) {
        if (typeof value !== 'string' || !SID_RE.test(value.trim())) problems.push(`GroupParameter value ${JSON.stringify(value)} is not a SID (S-1-5-21-...)`);
        else sids.push(value.trim().toUpperCase());
      }
    }
  } else if (raw !== undefined) {
    problems.push(`access control policy "${name}" takes no GroupParameter`);
  }
  if (problems.length > 0) return { problems };
  sids = [...new Set(sids)];
  return { policy: { name, rules: template.build(sids) }, problems };
}

function compileCustomPolicy(
  policy: CustomAccessControlPolicy,
  parameters: Readonly<Record<string, unknown>> | undefined,
): { policy?: CompiledAccessControlPolicy; problems: string[] } {
  const problems: string[] = [];
  const declared = new Set(policy.template.parameters);
  const groupParameters = new Set<string>();
  for (const r of policy.template.rules) {
    for (const c of [...r.conditions, ...r.exceptions]) {
      if (c.kind === 'groups') for (const v of c.values) if ('parameter' in v) groupParameters.add(v.parameter);
    }
  }
  for (const key of Object.keys(parameters ?? {})) {
    if (!declared.has(key)) {
      problems.push(
        `access control policy parameter "${key}" is not used by "${policy.name}" (${declared.size > 0 ? `its parameters: ${[...declared].join(', ')}` : 'it takes no parameters'})`,
      );
    }
  }
  const values = new Map<string, string[]>();
  for (const key of declared) {
    const list = parameterList(parameters?.[key]);
    if (list === undefined || list.length === 0) {
      problems.push(`access control policy "${policy.name}" needs parameter ${key}${groupParameters.has(key) ? ' (one or more group SIDs)' : ''}`);
      continue;
    }
    const ok: string[] = [];
    for (const value of list) {
      if (typeof value !== 'string' || value.trim() === '') problems.push(`${key} value ${JSON.stringify(value)} is not a non-empty string`);
      else if (groupParameters.has(key) && !SID_RE.test(value.trim())) problems.push(`${key} value ${JSON.stringify(value)} is not a SID (S-1-5-21-...)`);
      else ok.push(value.trim());
    }
    values.set(key, ok);
  }
  if (problems.length > 0) return { problems };
  const resolve = (v: ValueRef): readonly string[] => ('literal' in v ? [v.literal] : (values.get(v.parameter) ?? []));
  const rules: AcpRule[] = policy.template.rules.map((r) => ({
    description: describeRuleTemplate(r, resolve),
    conditions: r.conditions.map((c) => instantiateCondition(c, resolve)),
    exceptions: r.exceptions.map((c) => instantiateCondition(c, resolve)),
    requireMfa: r.requireMfa,
  }));
  return { policy: { name: policy.name, rules }, problems };
}

export interface AcpContext {
  readonly claims: readonly Claim[];
  readonly relyingPartyIdentifiers: readonly string[];
}

const T_INSIDE = REQUEST_CLAIM_TYPES.insideCorporateNetwork;
const T_GROUP = REQUEST_CLAIM_TYPES.groupSid;
const T_PRIMARY_GROUP = REQUEST_CLAIM_TYPES.primaryGroupSid;
const T_AMR = REQUEST_CLAIM_TYPES.authnMethodsReferences;
const DEVICE_LEVEL_TYPE = {
  authenticated: DEVICE_CLAIM_TYPES.isKnown,
  managed: DEVICE_CLAIM_TYPES.isManaged,
  compliant: DEVICE_CLAIM_TYPES.isCompliant,
} as const;

/** Claim types compare as the rule evaluator's `Type ==` does (the trust boundary uses the same comparator). */
function hasClaim(claims: readonly Claim[], type: string, test: (value: string) => boolean): boolean {
  for (const c of claims) if (c.type.length === type.length && claimTypeEquals(c.type, type) && test(c.value)) return true;
  return false;
}

const isTrue = (v: string): boolean => v.toLowerCase() === 'true';

export function conditionHolds(condition: AcpCondition, ctx: AcpContext): boolean {
  switch (condition.kind) {
    case 'always':
      return true;
    case 'network': {
      // Without the claim the request is treated as extranet (the stricter side).
      const inside = hasClaim(ctx.claims, T_INSIDE, isTrue);
      return condition.location === 'intranet' ? inside : !inside;
    }
    case 'groups': {
      const test = (v: string): boolean => condition.sids.includes(v.toUpperCase());
      return hasClaim(ctx.claims, T_GROUP, test) || hasClaim(ctx.claims, T_PRIMARY_GROUP, test);
    }
    case 'deviceTrust':
      return hasClaim(ctx.claims, DEVICE_LEVEL_TYPE[condition.level], isTrue);
    case 'claim': {
      return hasClaim(ctx.claims, condition.type, (v) => condition.values.includes(v));
    }
    case 'deviceRegistration':
      return ctx.relyingPartyIdentifiers.some((id) => id.toLowerCase().startsWith('urn:ms-drs:'));
    case 'any':
      return condition.of.some((c) => conditionHolds(c, ctx));
  }
}

export function mfaDone(claims: readonly Claim[]): boolean {
  return hasClaim(claims, T_AMR, (v) => v === MULTIPLE_AUTHN);
}

export interface AcpOutcome {
  readonly result: 'permit' | 'deny' | 'mfa_required';
  /** Index of the rule that permitted (or first asked for MFA). */
  readonly ruleIndex?: number;
}

/** §3.5: the first rule whose conditions hold and no exception holds permits (or asks for MFA). */
export function evaluateAccessControlPolicy(policy: CompiledAccessControlPolicy, ctx: AcpContext): AcpOutcome {
  const done = mfaDone(ctx.claims);
  let mfaRule: number | undefined;
  for (let i = 0; i < policy.rules.length; i++) {
    const r = policy.rules[i]!;
    if (!r.conditions.every((c) => conditionHolds(c, ctx))) continue;
    if (r.exceptions.some((c) => conditionHolds(c, ctx))) continue;
    if (r.requireMfa && !done) {
      mfaRule ??= i;
      continue;
    }
    return { result: 'permit', ruleIndex: i };
  }
  return mfaRule !== undefined ? { result: 'mfa_required', ruleIndex: mfaRule } : { result: 'deny' };
}

export function describeAcpRule(policy: CompiledAccessControlPolicy, index: number): string {
  return `${policy.name} rule ${index + 1} (${policy.rules[index]?.description ?? '?'})`;
}
