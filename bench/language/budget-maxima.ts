// Measures the evaluation-budget counters (join tuples, claims produced, store calls) real rule sets
// reach, to choose DEFAULT_EVALUATION_BUDGET with a wide margin. Not a test.
// Run: npx tsx bench/language/budget-maxima.ts
// Inputs: the bench workload's typical presentation (16 claims), and a rich synthetic one per rule
// set: for every claim type a rule names, 4 claims with each value literal the rules compare it to
// (or "true"), so that every selector matches several claims. Store rules get a store answering 3
// values per column.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileRuleSet, makeClaim, parseRuleSet, type AttributeStore, type Claim } from '../../src/language/index.js';
import { RP, rpVariants, workloadInput } from './workload.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const corpus = readFileSync(join(root, 'test/language/corpus/claim-rule-corpus.md'), 'utf8');
const texts: [string, string][] = [...corpus.matchAll(/^````text\n([\s\S]*?)\n````$/gm)].map((m, i) => [`corpus #${i + 1}`, m[1]!]);
const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
  const p = join(dir, f);
  return statSync(p).isDirectory() ? walk(p) : p.endsWith('.rules') ? [p] : [];
});
for (const f of walk(join(root, 'rules'))) texts.push([f.slice(root.length), readFileSync(f, 'utf8')]);
texts.push(['bench RP', RP], ...rpVariants(12).map((t, i): [string, string] => [`bench RP variant ${i}`, t]));

function richInput(text: string): Claim[] {
  const values = new Map<string, Set<string>>();
  for (const rule of parseRuleSet(text).ast.rules) {
    for (const cond of rule.conditions) {
      const constraints = cond.kind === 'Aggregate' ? cond.selector.constraints : cond.constraints;
      const type = constraints.find((c) => c.property === 'Type' && c.op === '==' && c.value.kind === 'String');
      if (!type || type.value.kind !== 'String') continue;
      const set = values.get(type.value.value) ?? new Set<string>();
      for (const c of constraints) if (c.property === 'Value' && c.op === '==' && c.value.kind === 'String') set.add(c.value.value);
      values.set(type.value.value, set);
    }
  }
  const out: Claim[] = [];
  for (const [type, vs] of values) for (const v of vs.size > 0 ? vs : ['true']) for (let k = 0; k < 4; k++) out.push(makeClaim({ type, value: v }));
  return out;
}

const store: AttributeStore = { query: async (_q, _p, types) => types.map(() => ['v1', 'v2', 'v3']) };
const zero = () => ({ joinTuples: 0, claimsProduced: 0, storeCalls: 0 });
const max = { typical: zero(), rich: zero() };
const where = { typical: { joinTuples: '', claimsProduced: '', storeCalls: '' }, rich: { joinTuples: '', claimsProduced: '', storeCalls: '' } };
let sets = 0;
for (const [name, text] of texts) {
  const { ruleSet } = compileRuleSet(text, { lenient: true });
  if (!ruleSet) continue;
  sets++;
  for (const [kind, input] of [['typical', workloadInput(makeClaim)], ['rich', richInput(text)]] as const) {
    const stores = Object.fromEntries(ruleSet.storesUsed.map((s) => [s, store]));
    const r = await ruleSet.evaluateAsync(input, { trace: true, stores });
    for (const k of ['joinTuples', 'claimsProduced', 'storeCalls'] as const) {
      if (r.usage![k] > max[kind][k]) {
        max[kind][k] = r.usage![k];
        where[kind][k] = `${name} (${input.length} input claims)`;
      }
    }
  }
}
console.log(`${sets} rule sets evaluated (corpus, rules/, bench workload)`);
for (const kind of ['typical', 'rich'] as const) {
  for (const k of ['joinTuples', 'claimsProduced', 'storeCalls'] as const) console.log(`${kind} input: max ${k}: ${max[kind][k]}  (${where[kind][k]})`);
}
