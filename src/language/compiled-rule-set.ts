import { DEFAULT_EVALUATION_BUDGET, EvaluationMeter, type EvaluationBudget } from './budget.js';
import { makeClaim, type Claim } from './claim.js';
import type { CompiledRule } from './compile-rule.js';
import { LanguageError } from './errors.js';
import { ClaimIndex, type TypeKeys } from './type-keys.js';
import type { RuleInfo } from './rule-info.js';

/** An attribute store: substitutes params into `{0}`-style placeholders itself; result[i] = values for types[i]. */
export interface AttributeStore {
  query(query: string, params: readonly string[], types: readonly string[]): Promise<readonly (readonly string[])[]>;
}

export interface EvaluationOptions {
  trace?: boolean;
  stores?: Readonly<Record<string, AttributeStore>>;
  /** Overrides the rule set's budget (LanguageOptions.evaluationBudget) for this evaluation. */
  budget?: EvaluationBudget;
  /**
   * Counts this evaluation on a meter the caller keeps (e.g. one per decision, shared by the
   * decision's evaluations: then the budget is per decision); its own budget applies, `budget` is ignored.
   */
  meter?: EvaluationMeter;
}

export interface RuleFiring {
  rule: RuleInfo;
  fired: boolean;
  kind: 'issue' | 'add';
  produced: readonly Claim[];
}

export interface EvaluationResult {
  output: Claim[];
  /** producedBy[i] = index of the rule that issued output[i] */
  producedBy: number[];
  trace?: RuleFiring[];
  /** With trace: the work the evaluation did, in the units of the evaluation budget. */
  usage?: { joinTuples: number; claimsProduced: number; storeCalls: number };
}

export interface CompiledRuleSet {
  readonly rules: readonly RuleInfo[];
  readonly storesUsed: readonly string[];
  readonly usesStores: boolean;
  /** The budget each evaluation gets unless EvaluationOptions.budget says otherwise. */
  readonly budget: EvaluationBudget;
  /**
   * Synchronous; throws LanguageError DG_ERR_LANGUAGE_BUDGET_EXCEEDED (over budget) or
   * DG_ERR_LANGUAGE_REGEX (a pattern computed at evaluation time that cannot be used), with `ruleIndex`
   * naming the rule. Throws LanguageError (DG_ERR_LANGUAGE_ASYNC_REQUIRED) if the rule set uses stores. */
  evaluate(input: readonly Claim[], options?: EvaluationOptions): EvaluationResult;
  evaluateAsync(input: readonly Claim[], options?: EvaluationOptions): Promise<EvaluationResult>;
}

function findStore(stores: Readonly<Record<string, AttributeStore>> | undefined, name: string): AttributeStore | undefined {
  if (!stores) return undefined;
  if (Object.prototype.hasOwnProperty.call(stores, name)) return stores[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(stores)) if (key.toLowerCase() === lower) return stores[key];
  return undefined;
}

function checkStoreResult(result: unknown, types: readonly string[], storeName: string, rule: RuleInfo): readonly (readonly string[])[] {
  const ok = Array.isArray(result) && result.length <= types.length && result.every((col) => Array.isArray(col) && col.every((v) => typeof v === 'string'));
  if (!ok) {
    throw new LanguageError('DG_ERR_LANGUAGE_STORE_RESULT', `attribute store "${storeName}" (rule ${rule.label}) returned something other than one array of strings per claim type`);
  }
  return result as readonly (readonly string[])[];
}

export class CompiledRuleSetImpl implements CompiledRuleSet {
  readonly rules: readonly RuleInfo[];
  readonly storesUsed: readonly string[];
  readonly usesStores: boolean;
  readonly budget: EvaluationBudget;
  /** Reused by evaluate() (synchronous, so one evaluation at a time); emptied after each use. */
  private spare: ClaimIndex | undefined;
  private spareMeter: EvaluationMeter | undefined;

  constructor(private readonly compiled: readonly CompiledRule[], private readonly keys: TypeKeys, budget: EvaluationBudget = DEFAULT_EVALUATION_BUDGET) {
    this.budget = budget;
    this.spareMeter = new EvaluationMeter(budget);
    this.rules = compiled.map((r) => r.info);
    this.storesUsed = [...new Set(compiled.flatMap((r) => (r.store ? [r.store.name] : [])))];
    this.usesStores = this.storesUsed.length > 0;
    this.spare = new ClaimIndex(keys);
  }

  evaluate(input: readonly Claim[], options?: EvaluationOptions): EvaluationResult {
    if (this.usesStores) {
      throw new LanguageError('DG_ERR_LANGUAGE_ASYNC_REQUIRED', `rule set calls attribute stores (${this.storesUsed.join(', ')}); use evaluateAsync`);
    }
    const index = this.spare ?? new ClaimIndex(this.keys);
    this.spare = undefined;
    const shared = options?.meter;
    const custom = shared !== undefined || (options?.budget !== undefined && options.budget !== this.budget);
    const meter = shared ?? (custom ? new EvaluationMeter(options!.budget) : (this.spareMeter ?? new EvaluationMeter(this.budget)));
    if (!custom) this.spareMeter = undefined;
    try {
      return this.run(input, index, options?.trace === true, meter);
    } finally {
      index.clear();
      this.spare = index;
      if (!custom) {
        meter.reset();
        this.spareMeter = meter;
      }
    }
  }

  private run(input: readonly Claim[], index: ClaimIndex, tracing: boolean, meter: EvaluationMeter): EvaluationResult {
    const rules = this.compiled;
    const indexed = this.keys.size > 0;
    const working = input.slice();
    if (indexed) for (let i = 0; i < working.length; i++) index.add(working[i]!, i);
    const output: Claim[] = [];
    const producedBy: number[] = [];
    const trace: RuleFiring[] | undefined = tracing ? [] : undefined;
    let r = 0;
    try {
      for (; r < rules.length; r++) {
        const rule = rules[r]!;
        const n = working.length;
        meter.rule = r;
        const fired = rule.run(working, n, index, meter);
        const issue = rule.action === 'issue';
        for (let k = n; k < working.length; k++) {
          const c = working[k]!;
          if (issue) {
            output.push(c);
            producedBy.push(r);
          }
          if (indexed) index.add(c, k);
        }
        if (trace) trace.push({ rule: rule.info, fired, kind: rule.action, produced: working.slice(n) });
      }
    } catch (error) {
      throw withRule(error, r);
    }
    return trace ? { output, producedBy, trace, usage: usageOf(meter) } : { output, producedBy };
  }

  async evaluateAsync(input: readonly Claim[], options?: EvaluationOptions): Promise<EvaluationResult> {
    const rules = this.compiled;
    const working = input.slice();
    const index = new ClaimIndex(this.keys);
    working.forEach((c, i) => index.add(c, i));
    const output: Claim[] = [];
    const producedBy: number[] = [];
    const trace: RuleFiring[] | undefined = options?.trace ? [] : undefined;
    const meter = options?.meter ?? new EvaluationMeter(options?.budget ?? this.budget);
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      const n = working.length;
      meter.rule = r;
      let fired: boolean;
      try {
        fired = await this.step(rule, working, n, index, meter, options);
      } catch (error) {
        throw withRule(error, r);
      }
      for (let k = n; k < working.length; k++) {
        if (rule.action === 'issue') {
          output.push(working[k]!);
          producedBy.push(r);
        }
        index.add(working[k]!, k);
      }
      if (trace) trace.push({ rule: rule.info, fired, kind: rule.action, produced: working.slice(n) });
    }
    return trace ? { output, producedBy, trace, usage: usageOf(meter) } : { output, producedBy };
  }

  /** One rule of evaluateAsync: appends what it produces to working; returns "fired". */
  private async step(rule: CompiledRule, working: Claim[], n: number, index: ClaimIndex, meter: EvaluationMeter, options: EvaluationOptions | undefined): Promise<boolean> {
    let fired: boolean;
    if (rule.store) {
      const { name, types, query } = rule.store;
      const store = findStore(options?.stores, name);
      if (!store) {
        throw new LanguageError('DG_ERR_LANGUAGE_UNKNOWN_STORE', `attribute store "${name}" used by rule ${rule.info.label} is not available`);
      }
      const tuples = rule.collect(working, n, index, meter);
      fired = tuples !== undefined;
      const produced: Claim[] = [];
      for (const params of tuples ?? []) {
        if (++meter.storeCalls > meter.budget.storeCalls) meter.exceeded('storeCalls', rule.info.label);
        let result: unknown;
        try {
          result = await store.query(query, params, types);
        } catch (error) {
          if (error instanceof LanguageError) throw error;
          const code = error && typeof error === 'object' && 'code' in error && typeof error.code === 'string' ? ` (${error.code})` : '';
          throw new LanguageError('DG_ERR_LANGUAGE_STORE_FAILED', `attribute store "${name}" failed for rule ${rule.info.label}${code}`);
        }
        const columns = checkStoreResult(result, types, name, rule.info);
        columns.forEach((values, i) => {
          for (const value of values) {
            if (++meter.claims > meter.budget.claimsProduced) meter.exceeded('claimsProduced', rule.info.label);
            produced.push(makeClaim({ type: types[i]!, value }));
          }
        });
      }
      for (const c of produced) working.push(c);
    } else {
      fired = rule.run(working, n, index, meter);
    }
    return fired;
  }
}

/** A LanguageError thrown while rule `r` ran names that rule (unless it already names one). */
function withRule(error: unknown, r: number): unknown {
  if (error instanceof LanguageError && error.ruleIndex === undefined) error.ruleIndex = r;
  return error;
}

function usageOf(meter: EvaluationMeter): { joinTuples: number; claimsProduced: number; storeCalls: number } {
  return { joinTuples: meter.tuples, claimsProduced: meter.claims, storeCalls: meter.storeCalls };
}
