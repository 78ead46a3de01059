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
}

export interface CompiledRuleSet {
  readonly rules: readonly RuleInfo[];
  readonly storesUsed: readonly string[];
  readonly usesStores: boolean;
  /** Synchronous; throws LanguageError (DG_ERR_LANGUAGE_ASYNC_REQUIRED) if the rule set uses stores. */
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
  /** Reused by evaluate() (synchronous, so one evaluation at a time); emptied after each use. */
  private spare: ClaimIndex | undefined;

  constructor(private readonly compiled: readonly CompiledRule[], private readonly keys: TypeKeys) {
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
    try {
      return this.run(input, index, options?.trace === true);
    } finally {
      index.clear();
      this.spare = index;
    }
  }

  private run(input: readonly Claim[], index: ClaimIndex, tracing: boolean): EvaluationResult {
    const rules = this.compiled;
    const indexed = this.keys.size > 0;
    const working = input.slice();
    if (indexed) for (let i = 0; i < working.length; i++) index.add(working[i]!, i);
    const output: Claim[] = [];
    const producedBy: number[] = [];
    const trace: RuleFiring[] | undefined = tracing ? [] : undefined;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      const n = working.length;
      const fired = rule.run(working, n, index);
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
    return trace ? { output, producedBy, trace } : { output, producedBy };
  }

  async evaluateAsync(input: readonly Claim[], options?: EvaluationOptions): Promise<EvaluationResult> {
    const rules = this.compiled;
    const working = input.slice();
    const index = new ClaimIndex(this.keys);
    working.forEach((c, i) => index.add(c, i));
    const output: Claim[] = [];
    const producedBy: number[] = [];
    const trace: RuleFiring[] | undefined = options?.trace ? [] : undefined;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      const n = working.length;
      let fired: boolean;
      if (rule.store) {
        const { name, types, query } = rule.store;
        const store = findStore(options?.stores, name);
        if (!store) {
          throw new LanguageError('DG_ERR_LANGUAGE_UNKNOWN_STORE', `attribute store "${name}" used by rule ${rule.info.label} is not available`);
        }
        const tuples = rule.collect(working, n, index);
        fired = tuples !== undefined;
        const produced: Claim[] = [];
        for (const params of tuples ?? []) {
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
            for (const value of values) produced.push(makeClaim({ type: types[i]!, value }));
          });
        }
        for (const c of produced) working.push(c);
      } else {
        fired = rule.run(working, n, index);
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
    return trace ? { output, producedBy, trace } : { output, producedBy };
  }
}
