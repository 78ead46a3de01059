/**
 * Attribute stores devicegate cannot serve never break a farm: a rule that calls one is a load-time
 * warning on its relying party only. Issuance rules that need such a store are skipped (noted in the
 * trace and the decision's notes); acceptance, additional-authentication or authorization rules that
 * need one make the relying party deny every request, with a reason that says so (fail closed).
 */
import { type Claim, type CompiledRuleSet, type Diagnostic } from '../language/index.js';
import type { AttributeStore } from '../language/index.js';
import type { DecisionReason, TraceEntry } from './decision-types.js';

/** Stores devicegate implements (farm.json attributeStores may switch them off, never add to them). */
export const SERVED_STORES: readonly string[] = ['Active Directory'];

/**
 * AD FS's own attribute stores, by the names rules call them (reference adfs-claim-rules.md §1.x, S5, S6,
 * S27): "Active Directory" (served), and the built-in `_PasswordExpiryStore`, `_OpaqueIdStore`,
 * `_ProxyCredentialStore`, which only AD FS itself can answer. SQL, LDAP and every other name are
 * custom stores an administrator added (Add-AdfsAttributeStore).
 */
export const ADFS_BUILT_IN_STORES: readonly string[] = ['Active Directory', '_PasswordExpiryStore', '_OpaqueIdStore', '_ProxyCredentialStore'];

type Stage = 'acceptance' | 'additional_authentication' | 'authorization' | 'issuance';

/** One rule's call of a store devicegate cannot serve. */
export interface StoreGap {
  readonly store: string;
  readonly ruleIndex: number;
  /** file:line:col of the store name in the rule. */
  readonly where: string;
}

/** The stores devicegate can serve under these farm settings. */
export function servableStores(configured: readonly string[]): string[] {
  const served = new Set(SERVED_STORES.map((s) => s.toLowerCase()));
  return configured.filter((s) => served.has(s.toLowerCase()));
}

export function describeStore(name: string): string {
  const builtIn = ADFS_BUILT_IN_STORES.some((s) => s.toLowerCase() === name.toLowerCase());
  return builtIn ? `AD FS built-in attribute store "${name}"` : `custom attribute store "${name}"`;
}

/** The store calls the checker flagged (DG_LANG_UNKNOWN_STORE warnings), by rule. */
export function storeGapsOf(ruleSet: CompiledRuleSet, diagnostics: readonly Diagnostic[], source: string): StoreGap[] {
  const gaps: StoreGap[] = [];
  for (const d of diagnostics) {
    if (d.code !== 'DG_LANG_UNKNOWN_STORE' || d.severity !== 'warning') continue;
    const literal = source.slice(d.start.offset, d.end.offset);
    const store = literal.replace(/^"|"$/g, '');
    let ruleIndex = 0;
    for (const r of ruleSet.rules) if (r.line <= d.start.line) ruleIndex = r.index;
    gaps.push({ store, ruleIndex, where: `${d.file ?? '<input>'}:${d.start.line}:${d.start.column}` });
  }
  return gaps;
}

/** A rule set as the registry loaded it, with its store gaps. */
export interface RuleSetWithGaps {
  readonly file: string;
  readonly name: string;
  readonly ruleSet: CompiledRuleSet;
  readonly storeGaps?: readonly StoreGap[];
}

/** What a relying party's unavailable stores mean for its decisions. */
export interface RelyingPartyStoreGaps {
  /** One line per rule, for logs, `rules lint` and `import`. */
  readonly warnings: readonly string[];
  /** Set when a decision stage needs an unavailable store: every decision denies with this reason. */
  readonly blocked?: DecisionReason & { readonly stage: Stage };
  /** Issuance rules skipped for want of a store. */
  readonly skippedIssuance: readonly { readonly rule: string; readonly note: string }[];
}

function labelOf(loaded: RuleSetWithGaps, index: number): string {
  const info = loaded.ruleSet.rules[index];
  if (info === undefined) return `${loaded.file}#${index + 1}`;
  return info.name !== undefined ? info.name : `${loaded.name}${info.label}`;
}

const STAGE_NAMES: Record<Stage, string> = {
  acceptance: 'acceptance transform',
  additional_authentication: 'additional authentication',
  authorization: 'issuance authorization',
  issuance: 'issuance transform',
};

/** Undefined when the relying party's rules call only stores devicegate serves. */
export function relyingPartyStoreGaps(
  relyingPartyName: string,
  stages: readonly { readonly stage: Stage; readonly loaded: RuleSetWithGaps | undefined }[],
): RelyingPartyStoreGaps | undefined {
  const warnings: string[] = [];
  const skippedIssuance: { rule: string; note: string }[] = [];
  let blocked: (DecisionReason & { stage: Stage }) | undefined;
  for (const { stage, loaded } of stages) {
    for (const gap of loaded?.storeGaps ?? []) {
      const rule = labelOf(loaded!, gap.ruleIndex);
      const what = `${STAGE_NAMES[stage]} rule "${rule}" calls ${describeStore(gap.store)}, which devicegate cannot serve`;
      if (stage === 'issuance') {
        const note = `skipped: ${what}; it issues nothing here (AD FS would run it)`;
        skippedIssuance.push({ rule, note });
        warnings.push(`${gap.where}: warning DG_LANG_UNKNOWN_STORE: ${what}; relying party "${relyingPartyName}" skips this rule (noted in issuedClaims/trace)`);
      } else {
        blocked ??= {
          stage,
          code: 'attribute_store_unavailable',
          rule,
          message: `denied: ${what}, so this relying party cannot be decided (fail closed)`,
        };
        warnings.push(`${gap.where}: warning DG_LANG_UNKNOWN_STORE: ${what}; relying party "${relyingPartyName}" denies every request (fail closed)`);
      }
    }
  }
  if (warnings.length === 0) return undefined;
  return { warnings, skippedIssuance, ...(blocked !== undefined ? { blocked } : {}) };
}

/** A blocked relying party's decision, as the pipeline would return it. */
export function blockedOutcome(
  gaps: RelyingPartyStoreGaps | undefined,
  explain: boolean,
  includeIssuedClaims: boolean,
): { decision: 'deny'; reason: DecisionReason; trace?: TraceEntry[]; issuedClaims?: readonly Claim[] } | undefined {
  const b = gaps?.blocked;
  if (b === undefined) return undefined;
  const reason: DecisionReason = { code: b.code, ...(b.rule !== undefined ? { rule: b.rule } : {}), message: b.message };
  return {
    decision: 'deny',
    reason,
    ...(explain ? { trace: [{ stage: b.stage, rule: b.rule ?? b.stage, fired: false, note: b.message }] } : {}),
    // Nothing is issued for a relying party that cannot be decided (not even in reportOnly mode).
    ...(includeIssuedClaims ? { issuedClaims: [] } : {}),
  };
}

/** A store that answers nothing: stands in for unavailable stores in skipped issuance rules. */
const SKIPPED: AttributeStore = { query: async (_q, _p, types) => types.map(() => []) };

const withSkipped = new WeakMap<object, Readonly<Record<string, AttributeStore>>>();

/**
 * The engine's stores plus an empty stand-in for each unavailable store an issuance rule calls
 * (blocked relying parties never reach their decision stages, so only skipped issuance rules see it).
 */
export function storesWithSkipped(
  key: object,
  stores: Readonly<Record<string, AttributeStore>>,
  unavailable: readonly string[],
): Readonly<Record<string, AttributeStore>> {
  if (unavailable.length === 0) return stores;
  let all = withSkipped.get(key);
  if (all === undefined) {
    all = Object.freeze({ ...Object.fromEntries(unavailable.map((s) => [s, SKIPPED])), ...stores });
    withSkipped.set(key, all);
  }
  return all;
}

const STAGE_OF_FILE: Readonly<Record<string, Stage>> = {
  'authorization.rules': 'authorization',
  'additional-authentication.rules': 'additional_authentication',
  'issuance.rules': 'issuance',
};

/** `devicegate import`: the warnings for one relying-party rule file (its trust is kept). */
export function importStoreWarnings(relyingPartyName: string, file: string, ruleSet: CompiledRuleSet, diagnostics: readonly Diagnostic[], source: string): readonly string[] {
  const stage = STAGE_OF_FILE[file];
  const storeGaps = storeGapsOf(ruleSet, diagnostics, source);
  if (stage === undefined || storeGaps.length === 0) return [];
  return relyingPartyStoreGaps(relyingPartyName, [{ stage, loaded: { file, name: file, ruleSet, storeGaps } }])?.warnings ?? [];
}
