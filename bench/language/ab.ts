// Decision time of several checkouts in one process, many short alternating slices (4,000 decisions
// each, 300 rounds): on a loaded machine the low percentiles of short slices are the ones that ran
// unpreempted, so min/p5/p25 compare checkouts where means and medians cannot. Not a test.
//   git archive <commit> src bench package.json | tar -x -C /tmp/dg-<commit>; ln -s $PWD/node_modules /tmp/dg-<commit>/
//   npx tsx bench/language/ab.ts /tmp/dg-<commit> ... $PWD
import { RP, workloadInput } from './workload.js';
const roots = process.argv.slice(2);
const fns: (() => number)[] = [];
for (const root of roots) {
  const lang = await import(`${root}/src/language/index.ts`);
  const { ruleSet } = lang.compileRuleSet(RP);
  const input = workloadInput(lang.makeClaim);
  fns.push(() => { const r = ruleSet!.evaluate(input); return lang.authorizationOutcome(r).result.length; });
}
const res: number[][] = roots.map(() => []);
let sink = 0;
const N = 4000;
for (let round = 0; round < 300; round++) {
  for (let j = 0; j < fns.length; j++) {
    const k = (j + round) % fns.length;
    const f = fns[k]!;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) sink += f();
    res[k]!.push(Number(process.hrtime.bigint() - t0) / N);
  }
}
roots.forEach((r, k) => { const a = res[k]!.sort((x, y) => x - y); console.log(r.padEnd(20), 'min', a[0]!.toFixed(0), 'p5', a[15]!.toFixed(0), 'p25', a[75]!.toFixed(0), 'ns'); });
if (sink < 0) console.log(sink);
