import type { Aggregate, Constraint, Issuance, Rule, Selector } from './ast.js';
import { DEFAULT_ISSUER, DEFAULT_VALUE_TYPE, type Claim } from './claim.js';
import {
  compileExpression, equalsIgnoreCase, staticRegex, internalize, propertyGetter, referencedTags, type StringFn, type Tuple,
} from './compile-expression.js';
import type { EvaluationMeter } from './budget.js';
import type { LanguageOptions } from './options.js';
import { compileTest, dynamicMatcher } from './regex-engine.js';
import type { RuleInfo } from './rule-info.js';
import type { ClaimIndex, TypeKeys } from './type-keys.js';
import { tagKey } from './walk-expressions.js';

type Pred = (c: Claim) => boolean;
type DepPred = (t: Tuple) => boolean;

export interface StoreCall {
  readonly name: string;
  readonly types: readonly string[];
  readonly query: string;
}

/** One rule as closures. run() appends what it produces to `working` (past `n`, which it never reads). */
export interface CompiledRule {
  readonly info: RuleInfo;
  readonly action: 'issue' | 'add';
  readonly store: StoreCall | undefined;
  /**
   * Non-store rules: match working[0..n) and append produced claims to working. Returns "fired".
   * `index` holds exactly working[0..n) by type; the caller adds the produced claims after the call.
   * Counts join tuples and produced claims on `meter` and throws DG_ERR_LANGUAGE_BUDGET_EXCEEDED as
   * soon as one goes past its limit (before the work it would allow is done).
   */
  run(working: Claim[], n: number, index: ClaimIndex, meter: EvaluationMeter): boolean;
  /**
   * Store rules: the param lists, one per matching tuple; undefined when the conditions do not hold.
   * Each list is one store call to come: past the meter's storeCalls limit it throws before collecting more.
   */
  collect(working: readonly Claim[], n: number, index: ClaimIndex, meter: EvaluationMeter): string[][] | undefined;
}

const EMPTY_PROPERTIES: Readonly<Record<string, string>> = Object.freeze({});

function compileConstraint(c: Constraint, self: number, options: LanguageOptions, tagIndex: (tag: string) => number): { pred: Pred } | { dep: DepPred; ready: number } {
  const ignoreCase = c.property === 'Type' ? options.typeComparison !== 'ordinal' : options.valueComparison === 'ignoreCase';
  const eq = ignoreCase ? equalsIgnoreCase : (a: string, b: string) => a === b;
  const get = propertyGetter(c.property, c.key);
  const negate = c.op === '!=' || c.op === '!~';
  const regex = c.op === '=~' || c.op === '!~';
  if (c.value.kind === 'String') {
    const lit = internalize(c.value.value);
    if (regex) {
      const test = compileTest(staticRegex(lit, 'test'));
      return { pred: negate ? (x) => !test(get(x)) : (x) => test(get(x)) };
    }
    if (c.property === 'Type' && ignoreCase) return { pred: negate ? (x) => !equalsIgnoreCase(x.type, lit) : (x) => equalsIgnoreCase(x.type, lit) };
    if (c.property === 'Value' && !ignoreCase) return { pred: negate ? (x) => x.value !== lit : (x) => x.value === lit };
    return { pred: negate ? (x) => !eq(get(x), lit) : (x) => eq(get(x), lit) };
  }
  const rhs = compileExpression(c.value, tagIndex);
  const ready = Math.max(self, ...referencedTags(c.value).map(tagIndex));
  if (regex) {
    const match = dynamicMatcher();
    return { dep: (t) => match(rhs(t), get(t[self]!)) !== negate, ready };
  }
  return { dep: (t) => eq(get(t[self]!), rhs(t)) !== negate, ready };
}

function all(preds: Pred[]): Pred {
  if (preds.length === 0) return () => true;
  if (preds.length === 1) return preds[0]!;
  if (preds.length === 2) {
    const [a, b] = preds as [Pred, Pred];
    return (c) => a(c) && b(c);
  }
  return (c) => {
    for (let i = 0; i < preds.length; i++) if (!preds[i]!(c)) return false;
    return true;
  };
}

/** Where a selector reads its claims: a type bucket (when it has a `Type == "literal"` constraint) or the whole working set. */
interface Source {
  /** type id from TypeKeys, or -1 for every claim of working[0..n) */
  readonly key: number;
  /** the other constraints; undefined when the bucket alone decides */
  readonly match: Pred | undefined;
}

function isTypeKey(c: Constraint): c is Constraint & { value: { kind: 'String'; value: string } } {
  return c.property === 'Type' && c.op === '==' && c.value.kind === 'String';
}

/** Splits a selector into its source and the remaining per-claim predicates and tuple-dependent ones. */
function compileSelector(s: Selector, self: number, options: LanguageOptions, keys: TypeKeys, tagIndex: (tag: string) => number, deps: (d: DepPred, ready: number) => void): Source {
  const keyed = s.constraints.find(isTypeKey);
  const preds: Pred[] = [];
  for (const c of s.constraints) {
    if (c === keyed) continue;
    const r = compileConstraint(c, self, options, tagIndex);
    if ('pred' in r) preds.push(r.pred);
    else deps(r.dep, r.ready);
  }
  const key = keyed ? keys.idOf(keyed.value.value) : -1;
  return { key, match: preds.length === 0 ? undefined : all(preds) };
}

type AggregateFn = (working: readonly Claim[], n: number, index: ClaimIndex) => boolean;

function compileAggregate(a: Aggregate, options: LanguageOptions, keys: TypeKeys): AggregateFn {
  const { key, match } = compileSelector(a.selector, 0, options, keys, () => 0, () => {
    throw new Error('aggregate constraints cannot refer to tags');
  });
  const k = a.count ?? 0;
  const cmp: (x: number) => boolean =
    a.fn === 'exists' ? (x) => x > 0 : a.fn === 'notExists' ? (x) => x === 0
      : a.op === '>' ? (x) => x > k : a.op === '<' ? (x) => x < k : a.op === '>=' ? (x) => x >= k : a.op === '<=' ? (x) => x <= k : a.op === '!=' ? (x) => x !== k : (x) => x === k;
  // exists / NOT exists only need to know whether one claim matches.
  const limit = a.fn === 'exists' || a.fn === 'notExists' ? 1 : Infinity;
  if (key >= 0 && !match) return (_w, _n, index) => cmp(index.count[key]!);
  if (key >= 0) {
    const m = match!;
    return (w, _n, index) => {
      const { at, next } = index;
      let count = 0;
      for (let e = index.head[key]!; e >= 0 && count < limit; e = next[e]!) if (m(w[at[e]!]!)) count++;
      return cmp(count);
    };
  }
  if (!match) return (_w, n) => cmp(n);
  return (w, n) => {
    let count = 0;
    for (let i = 0; i < n && count < limit; i++) if (match(w[i]!)) count++;
    return cmp(count);
  };
}

type Producer = (t: Tuple, into: Claim[]) => void;

function compileProducer(iss: Exclude<Issuance, { kind: 'Store' }>, tagIndex: (tag: string) => number): Producer {
  if (iss.kind === 'Copy') {
    const idx = tagIndex(iss.tag);
    return (t, into) => void into.push(t[idx]!);
  }
  const fns: Partial<Record<'Type' | 'Value' | 'ValueType' | 'Issuer' | 'OriginalIssuer', StringFn>> = {};
  const props: [string, StringFn][] = [];
  let constant = true;
  for (const a of iss.assignments) {
    if (a.value.kind !== 'String') constant = false;
    const fn = compileExpression(a.value, tagIndex);
    if (a.property === 'Properties') props.push([a.key ?? '', fn]);
    else fns[a.property] = fn;
  }
  const type = fns.Type ?? (() => '');
  const value = fns.Value;
  const valueType = fns.ValueType;
  const issuer = fns.Issuer;
  const originalIssuer = fns.OriginalIssuer;
  const build = (t: Tuple): Claim => {
    const iss2 = issuer ? issuer(t) : DEFAULT_ISSUER;
    let properties = EMPTY_PROPERTIES;
    if (props.length > 0) {
      const p: Record<string, string> = {};
      for (const [k, f] of props) p[k] = f(t);
      properties = p;
    }
    return {
      type: type(t),
      value: value ? value(t) : '',
      valueType: valueType ? valueType(t) : DEFAULT_VALUE_TYPE,
      issuer: iss2,
      originalIssuer: originalIssuer ? originalIssuer(t) : iss2,
      properties,
    };
  };
  if (constant) {
    // Literal-only claims (permit/deny/MFA markers) are built once and shared: evaluation allocates nothing.
    const claim = build([]);
    Object.freeze(claim.properties);
    Object.freeze(claim);
    return (_t, into) => void into.push(claim);
  }
  return (t, into) => void into.push(build(t));
}

export function ruleInfo(rule: Rule, index: number, line: number): RuleInfo {
  const find = (name: string) => rule.annotations.find((a) => a.name.toLowerCase() === name)?.value;
  const name = find('rulename');
  const template = find('ruletemplate');
  const info: RuleInfo = { index, line, label: name ?? `#${index + 1} (line ${line})` };
  if (name !== undefined) info.name = name;
  if (template !== undefined) info.template = template;
  return info;
}

export function compileRule(rule: Rule, info: RuleInfo, options: LanguageOptions, keys: TypeKeys): CompiledRule {
  const caseSensitive = options.tagCase === 'sensitive';
  const selectors: Selector[] = [];
  const aggregates: AggregateFn[] = [];
  const tags = new Map<string, number>();
  for (const cond of rule.conditions) {
    if (cond.kind === 'Aggregate') {
      aggregates.push(compileAggregate(cond, options, keys));
      continue;
    }
    if (cond.tag !== undefined && !tags.has(tagKey(cond.tag, caseSensitive))) tags.set(tagKey(cond.tag, caseSensitive), selectors.length);
    selectors.push(cond);
  }
  const tagIndex = (tag: string): number => {
    const i = tags.get(tagKey(tag, caseSensitive));
    if (i === undefined) throw new Error(`unbound tag ${tag}`); // the checker rejects this before
    return i;
  };
  const k = selectors.length;
  const depsAt: DepPred[][] = selectors.map(() => []);
  const sources = selectors.map((s, j) => compileSelector(s, j, options, keys, tagIndex, (d, ready) => void depsAt[ready]!.push(d)));
  const hasDeps = depsAt.some((d) => d.length > 0);
  const tuple: (Claim | undefined)[] = new Array<Claim | undefined>(k).fill(undefined);
  // Per-rule scratch for the cartesian product: the working-set positions each selector matches.
  // run() is synchronous and not re-entrant, so one set per rule suffices; positions hold no claims.
  const lists: Int32Array[] = selectors.map(() => new Int32Array(8));
  const lengths = new Int32Array(k);
  let current: readonly Claim[] = [];
  let sink: (t: Tuple) => void = () => {};
  // The meter of the evaluation in progress (set by run()/collect(); both are synchronous).
  let meter: EvaluationMeter | undefined;
  const tupleVisited = (): void => {
    const m = meter!;
    if (++m.tuples > m.budget.joinTuples) m.exceeded('joinTuples', info.label);
  };

  const enumerate = (depth: number): boolean => {
    const list = lists[depth]!;
    const length = lengths[depth]!;
    const deps = depsAt[depth]!;
    let fired = false;
    for (let i = 0; i < length; i++) {
      tupleVisited();
      tuple[depth] = current[list[i]!];
      let ok = true;
      for (let d = 0; d < deps.length; d++) if (!deps[d]!(tuple)) { ok = false; break; }
      if (!ok) continue;
      if (depth === k - 1) {
        sink(tuple);
        fired = true;
      } else if (enumerate(depth + 1)) {
        fired = true;
      }
    }
    return fired;
  };

  const push = (j: number, position: number): void => {
    let list = lists[j]!;
    const length = lengths[j]!;
    if (length === list.length) {
      const grown = new Int32Array(length * 2);
      grown.set(list);
      lists[j] = list = grown;
    }
    list[length] = position;
    lengths[j] = length + 1;
  };

  /** Fills lists[j] with the positions in working[0..n) that selector j matches, in working-set order. */
  const collectMatches = (j: number, working: readonly Claim[], n: number, index: ClaimIndex): number => {
    const { key, match: m } = sources[j]!;
    lengths[j] = 0;
    if (key >= 0) {
      const { at, next } = index;
      for (let e = index.head[key]!; e >= 0; e = next[e]!) if (!m || m(working[at[e]!]!)) push(j, at[e]!);
    } else {
      for (let i = 0; i < n; i++) if (!m || m(working[i]!)) push(j, i);
    }
    return lengths[j]!;
  };

  const single = (working: readonly Claim[], n: number, index: ClaimIndex): boolean => {
    const { key, match: m } = sources[0]!;
    let fired = false;
    if (key >= 0) {
      const { at, next } = index;
      for (let e = index.head[key]!; e >= 0; e = next[e]!) {
        const c = working[at[e]!]!;
        if (!m || m(c)) {
          tupleVisited();
          tuple[0] = c;
          sink(tuple);
          fired = true;
        }
      }
      return fired;
    }
    for (let i = 0; i < n; i++) {
      const c = working[i]!;
      if (!m || m(c)) {
        tupleVisited();
        tuple[0] = c;
        sink(tuple);
        fired = true;
      }
    }
    return fired;
  };

  const product = (working: readonly Claim[], n: number, index: ClaimIndex): boolean => {
    for (let j = 0; j < k; j++) if (collectMatches(j, working, n, index) === 0) return false;
    current = working;
    try {
      return enumerate(0);
    } finally {
      current = [];
    }
  };

  const match = (working: readonly Claim[], n: number, index: ClaimIndex): boolean => {
    for (let a = 0; a < aggregates.length; a++) if (!aggregates[a]!(working, n, index)) return false;
    if (k === 0) {
      sink(tuple);
      return true;
    }
    // Cartesian product over the claims each selector matches (one claim may fill several slots).
    return k === 1 && !hasDeps ? single(working, n, index) : product(working, n, index);
  };

  const iss = rule.issuance;
  if (iss.kind === 'Store') {
    const params = iss.params.map((p) => compileExpression(p, tagIndex));
    let collected: string[][] = [];
    const collectSink = (t: Tuple): void => {
      const m = meter!;
      if (m.storeCalls + collected.length + 1 > m.budget.storeCalls) m.exceeded('storeCalls', info.label);
      collected.push(params.map((p) => p(t)));
    };
    return {
      info,
      action: iss.action,
      store: { name: iss.store.value, types: iss.types.map((t) => t.value), query: iss.query.value },
      run: () => {
        throw new Error('store rules are evaluated with collect()');
      },
      collect(working, n, index, m) {
        collected = [];
        sink = collectSink;
        meter = m;
        try {
          const fired = match(working, n, index);
          return fired ? collected : undefined;
        } finally {
          collected = [];
          meter = undefined;
        }
      },
    };
  }
  const produce = compileProducer(iss, tagIndex);
  let target: Claim[] = [];
  const produceSink = (t: Tuple): void => {
    const m = meter!;
    const before = target.length;
    produce(t, target);
    if ((m.claims += target.length - before) > m.budget.claimsProduced) m.exceeded('claimsProduced', info.label);
  };
  return {
    info,
    action: iss.action,
    store: undefined,
    run(working, n, index, m) {
      target = working;
      sink = produceSink;
      // Left set after the call (like target): the meter holds only counters, no claims.
      meter = m;
      return match(working, n, index);
    },
    collect: () => undefined,
  };
}
