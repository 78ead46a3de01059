// Language bench (not a test): parse speed over the corpus and evaluation time per decision for a
// typical relying party. Run: npx tsx bench/language/run.ts  -> prints a table, writes bench/results/language.json
// The machine is shared and noisy: the mean carries preemption outliers, so the median (p50) is reported
// too, next to a trivial task (touch each input claim once) whose drift between runs shows the noise.
// Same-process comparison with another checkout: bench/language/compare.ts.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { authorizationOutcome, compileRuleSet, makeClaim, parseRuleSet, requiresMfa } from '../../src/language/index.js';
import { RP, rpVariants, workloadInput } from './workload.js';

const corpusPath = fileURLToPath(new URL('../../test/language/corpus/claim-rule-corpus.md', import.meta.url));
const corpusTexts = [...readFileSync(corpusPath, 'utf8').matchAll(/^````text\n([\s\S]*?)\n````$/gm)].map((m) => m[1]!);
const corpusRules = corpusTexts.reduce((n, text) => n + parseRuleSet(text).ast.rules.length, 0);

const { ruleSet, diagnostics } = compileRuleSet(RP);
if (!ruleSet) throw new Error(`bench rules do not compile: ${JSON.stringify(diagnostics)}`);
const input = workloadInput(makeClaim);
const mix = rpVariants(12).map((text) => compileRuleSet(text).ruleSet!);
let turn = 0;

let sink = 0;
const bench = new Bench({ time: Number(process.env.BENCH_TIME_MS ?? 1500), warmup: true });
bench
  .add('parse corpus (all entries)', () => {
    for (const text of corpusTexts) sink += parseRuleSet(text).ast.rules.length;
  })
  .add('compile typical RP (8 rules)', () => {
    sink += compileRuleSet(RP).ruleSet ? 1 : 0;
  })
  .add('decision: evaluate + outcome (8 rules, 16 claims)', () => {
    const r = ruleSet.evaluate(input);
    sink += authorizationOutcome(r).result.length + (requiresMfa(r.output) ? 1 : 0);
  })
  .add('decision, rotating over 12 relying parties', () => {
    const r = mix[turn++ % mix.length]!.evaluate(input);
    sink += authorizationOutcome(r).result.length + (requiresMfa(r.output) ? 1 : 0);
  })
  .add('baseline: touch the 16 input claims', () => {
    for (let i = 0; i < input.length; i++) sink += input[i]!.value.length;
  })
  .add('decision with trace', () => {
    sink += ruleSet.evaluate(input, { trace: true }).output.length;
  });
await bench.run();

const rows = bench.tasks.map((task) => {
  const res = task.result as unknown as { latency?: { mean: number; p50?: number; p99?: number }; throughput?: { mean: number } } | undefined;
  const meanMs = res?.latency?.mean ?? Number.NaN;
  return {
    name: task.name,
    meanUs: meanMs * 1000,
    p50Us: (res?.latency?.p50 ?? Number.NaN) * 1000,
    p99Us: (res?.latency?.p99 ?? Number.NaN) * 1000,
    opsPerSec: res?.throughput?.mean ?? Number.NaN,
  };
});
const parseRow = rows[0]!;
const decisionRow = rows[2]!;
const mixRow = rows[3]!;
const baselineRow = rows[4]!;
const summary = {
  date: new Date().toISOString(),
  node: process.version,
  corpusEntries: corpusTexts.length,
  corpusRules,
  parseRulesPerSecond: Math.round((corpusRules * 1e6) / parseRow.meanUs),
  loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
  decisionMeanUs: Number(decisionRow.meanUs.toFixed(3)),
  decisionMedianUs: Number(decisionRow.p50Us.toFixed(3)),
  mixedDecisionMeanUs: Number(mixRow.meanUs.toFixed(3)),
  mixedDecisionMedianUs: Number(mixRow.p50Us.toFixed(3)),
  baselineMedianUs: Number(baselineRow.p50Us.toFixed(3)),
  decisionTargetUs: 2,
  decisionWithinTarget: decisionRow.meanUs <= 2 && mixRow.meanUs <= 2,
  output: ruleSet.evaluate(input).output.map((c) => c.type.split('/').pop()),
  tasks: rows,
};
console.table(rows.map((r) => ({ task: r.name, 'mean µs': r.meanUs.toFixed(3), 'p50 µs': r.p50Us.toFixed(3), 'p99 µs': r.p99Us.toFixed(3), 'ops/s': Math.round(r.opsPerSec) })));
console.log(
  `parse: ${summary.parseRulesPerSecond.toLocaleString()} rules/s over ${corpusRules} corpus rules; decision: mean ${summary.decisionMeanUs} µs, median ${summary.decisionMedianUs} µs; over 12 RPs: mean ${summary.mixedDecisionMeanUs} µs, median ${summary.mixedDecisionMedianUs} µs ` +
    `(target <= 2 µs: ${summary.decisionWithinTarget ? 'met' : 'NOT met'}); trivial baseline median ${summary.baselineMedianUs} µs; load average ${summary.loadAverage.join(' ')}`,
);
const outDir = fileURLToPath(new URL('../results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
writeFileSync(`${outDir}language.json`, `${JSON.stringify(summary, null, 2)}\n`);
if (sink === -1) console.log(sink);
