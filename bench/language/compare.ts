// Decision time of this checkout vs another one (e.g. `git worktree add /tmp/dg-base <commit>` with
// node_modules symlinked), measured in the same process in alternating slices so machine noise hits
// both alike. Not a test.
//   npx tsx bench/language/compare.ts /tmp/dg-base          -> ns per decision, median of slices, ratio;
//     'fresh strings' rows use claims whose strings are new each decision (no cached hashes), like requests
//   npx tsx bench/language/compare.ts --loop 200000 [root] [fresh|parse]  -> just runs the decision loop (for
//     --cpu-prof / callgrind); 'fresh' parses the claims from JSON for every decision, 'parse' only parses
//     (callgrind: per-decision instructions = (Ir(fresh) - Ir(parse)) / N, or the Ir difference of two N)
import { pathToFileURL } from 'node:url';
import type * as Language from '../../src/language/index.js';
import { RP, rpVariants, workloadInput } from './workload.js';

type Lang = typeof Language;


/**
 * The decision; with `copies`, each call takes the next of that many inputs built from fresh strings,
 * and refill() (outside the timed slice) builds new ones.
 */
function decision(lang: Lang, copies = 0): (() => number) & { refill(): void } {
  const { ruleSet, diagnostics } = lang.compileRuleSet(RP);
  if (!ruleSet) throw new Error(`bench rules do not compile: ${JSON.stringify(diagnostics)}`);
  const input = workloadInput(lang.makeClaim);
  // Request claims arrive through JSON.parse: flat strings, new every request, no cached hash.
  const json = JSON.stringify(Array.from({ length: copies }, () => input.map((c) => ({ type: c.type, value: c.value, issuer: c.issuer }))));
  let inputs: Language.Claim[][] = [];
  let next = 0;
  const refill = () => {
    const parsed = JSON.parse(json) as { type: string; value: string; issuer: string }[][];
    inputs = parsed.map((claims) => claims.map((c) => lang.makeClaim(c)));
    next = 0;
  };
  const run = () => {
    const r = ruleSet.evaluate(copies > 0 ? inputs[next++]! : input);
    return lang.authorizationOutcome(r).result.length + (lang.requiresMfa(r.output) ? 1 : 0);
  };
  return Object.assign(run, { refill });
}

/** Decisions rotating over 12 relying parties (shared closures see many rule sets, as in a server). */
function mixedDecision(lang: Lang): () => number {
  const sets = rpVariants(12).map((text) => lang.compileRuleSet(text).ruleSet!);
  const input = workloadInput(lang.makeClaim);
  let turn = 0;
  return () => {
    const r = sets[turn++ % sets.length]!.evaluate(input);
    return lang.authorizationOutcome(r).result.length + (lang.requiresMfa(r.output) ? 1 : 0);
  };
}

async function load(root: string | undefined): Promise<Lang> {
  if (!root) return import('../../src/language/index.js');
  return (await import(pathToFileURL(`${root}/src/language/index.ts`).href)) as Lang;
}

const args = process.argv.slice(2);
let sink = 0;
if (args[0] === '--loop') {
  const n = Number(args[1] ?? 200000);
  const mode = args[3] ?? 'cached';
  const lang = await load(args[2] || undefined);
  const run = decision(lang);
  const { ruleSet } = lang.compileRuleSet(RP);
  const json = JSON.stringify(workloadInput(lang.makeClaim).map((c) => ({ type: c.type, value: c.value, issuer: c.issuer })));
  const parse = () => (JSON.parse(json) as { type: string; value: string; issuer: string }[]).map((c) => lang.makeClaim(c));
  for (let i = 0; i < n; i++) {
    if (mode === 'cached') sink += run();
    else if (mode === 'parse') sink += parse().length;
    else {
      const r = ruleSet!.evaluate(parse());
      sink += lang.authorizationOutcome(r).result.length + (lang.requiresMfa(r.output) ? 1 : 0);
    }
  }
  console.log(`ran ${n} ${mode} loops (${sink})`);
} else {
  const FRESH = 500;
  const current = decision(await load(undefined));
  const base = args[0] ? decision(await load(args[0])) : undefined;
  const currentFresh = decision(await load(undefined), FRESH);
  const baseFresh = args[0] ? decision(await load(args[0]), FRESH) : undefined;
  const lang = await load(undefined);
  const input = workloadInput(lang.makeClaim);
  // Trivial baseline: touch each of the 16 input claims once. Its drift across slices shows the noise.
  const trivial = () => {
    let s = 0;
    for (let i = 0; i < input.length; i++) s += input[i]!.value.length;
    return s;
  };
  const currentMixed = mixedDecision(lang);
  const baseMixed = args[0] ? mixedDecision(await load(args[0])) : undefined;
  const runs: Record<string, number[]> = { current: [], trivial: [], 'current, 12 RPs': [] };
  if (base) {
    runs.base = [];
    runs['base, 12 RPs'] = [];
  }
  const slice = (fn: () => number, iterations: number): number => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink += fn();
    return Number(process.hrtime.bigint() - t0) / iterations;
  };
  // Fresh-strings rounds: each of FRESH inputs is used once per round (new copies every round).
  runs['current, fresh strings'] = [];
  if (base) runs['base, fresh strings'] = [];
  for (let i = 0; i < 3; i++) { slice(current, 20000); if (base) slice(base, 20000); slice(trivial, 20000); }
  for (let round = 0; round < 30; round++) {
    runs.current!.push(slice(current, 20000));
    if (base) runs.base!.push(slice(base, 20000));
    runs.trivial!.push(slice(trivial, 20000));
    runs['current, 12 RPs']!.push(slice(currentMixed, 20000));
    if (baseMixed) runs['base, 12 RPs']!.push(slice(baseMixed, 20000));
    for (let k = 0; k < 4; k++) {
      currentFresh.refill();
      runs['current, fresh strings']!.push(slice(currentFresh, FRESH));
      if (baseFresh) {
        baseFresh.refill();
        runs['base, fresh strings']!.push(slice(baseFresh, FRESH));
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const min = (xs: number[]) => Math.min(...xs);
  for (const [name, xs] of Object.entries(runs)) {
    console.log(`${name.padEnd(24)} median ${median(xs).toFixed(1).padStart(8)} ns  min ${min(xs).toFixed(1).padStart(8)} ns`);
  }
  if (base) {
    console.log(`current/base (median): ${(median(runs.current!) / median(runs.base!)).toFixed(3)}`);
    console.log(`current/base, 12 RPs (median): ${(median(runs['current, 12 RPs']!) / median(runs['base, 12 RPs']!)).toFixed(3)}`);
    console.log(`current/base, fresh strings (median): ${(median(runs['current, fresh strings']!) / median(runs['base, fresh strings']!)).toFixed(3)}`);
  }
  if (sink === -1) console.log(sink);
}
