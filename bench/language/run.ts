// Language bench (not a test): parse speed over the corpus and evaluation time per decision for a
// typical relying party. Run: npx tsx bench/language/run.ts  -> prints a table, writes bench/results/language.json
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { authorizationOutcome, compileRuleSet, makeClaim, parseRuleSet, requiresMfa } from '../../src/language/index.js';

const corpusPath = fileURLToPath(new URL('../../test/language/corpus/claim-rule-corpus.md', import.meta.url));
const corpusTexts = [...readFileSync(corpusPath, 'utf8').matchAll(/^````text\n([\s\S]*?)\n````$/gm)].map((m) => m[1]!);
const corpusRules = corpusTexts.reduce((n, text) => n + parseRuleSet(text).ast.rules.length, 0);

// A typical RP: 8 rules (device trust, groups, location, MFA marker, deny), ~15 input claims.
const RP = `
@RuleName = "extranet marker"
exists([Type == "http://schemas.microsoft.com/ws/2012/01/insidecorporatenetwork", Value == "false"])
 => add(Type = "urn:devicegate:extranet", Value = "true");

@RuleName = "mfa done"
exists([Type == "http://schemas.microsoft.com/claims/authnmethodsreferences", Value == "http://schemas.microsoft.com/claims/multipleauthn"])
 => add(Type = "urn:devicegate:mfa", Value = "true");

@RuleName = "deny disabled group"
c:[Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid", Value == "S-1-5-21-1111111111-2222222222-3333333333-9999"]
 => issue(Type = "http://schemas.microsoft.com/authorization/claims/deny", Value = "DenyUsersWithClaim");

@RuleName = "compliant devices"
c:[Type == "http://schemas.microsoft.com/2014/09/devicecontext/claims/iscompliant", Value =~ "^(?i)true$"]
 => issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "PermitUsersWithClaim");

@RuleName = "managed devices of staff"
c1:[Type == "http://schemas.microsoft.com/2012/01/devicecontext/claims/ismanaged", Value == "true"]
 && c2:[Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid", Value == "S-1-5-21-1111111111-2222222222-3333333333-1104"]
 => issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");

@RuleName = "known device on intranet"
exists([Type == "http://schemas.microsoft.com/2014/02/devicecontext/claims/isknown", Value == "true"])
 && NOT exists([Type == "urn:devicegate:extranet"])
 => issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");

@RuleName = "extranet without mfa"
exists([Type == "urn:devicegate:extranet"]) && NOT exists([Type == "urn:devicegate:mfa"])
 => issue(Type = "http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod", Value = "http://schemas.microsoft.com/claims/multipleauthn");

@RuleName = "admins need a managed device"
c:[Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid", Value =~ "-512$"]
 && NOT exists([Type == "http://schemas.microsoft.com/2012/01/devicecontext/claims/ismanaged", Value == "true"])
 => issue(Type = "http://schemas.microsoft.com/authorization/claims/deny", Value = "true");
`;
const { ruleSet, diagnostics } = compileRuleSet(RP);
if (!ruleSet) throw new Error(`bench rules do not compile: ${JSON.stringify(diagnostics)}`);
const dc = 'http://schemas.microsoft.com/2012/01/devicecontext/claims/';
const input = [
  makeClaim({ type: `${dc}identifier`, value: '2f4a4a4e-8d1d-4c8e-9a59-6a1b2c3d4e5f' }),
  makeClaim({ type: `${dc}displayname`, value: 'LAPTOP-42' }),
  makeClaim({ type: `${dc}ostype`, value: 'Windows' }),
  makeClaim({ type: `${dc}osversion`, value: '10.0.22631' }),
  makeClaim({ type: 'http://schemas.microsoft.com/2014/02/devicecontext/claims/isknown', value: 'true' }),
  makeClaim({ type: `${dc}ismanaged`, value: 'true' }),
  makeClaim({ type: 'http://schemas.microsoft.com/2014/09/devicecontext/claims/iscompliant', value: 'false' }),
  makeClaim({ type: 'http://schemas.microsoft.com/2014/09/devicecontext/claims/trusttype', value: '2' }),
  makeClaim({ type: `${dc}isregistereduser`, value: 'true' }),
  makeClaim({ type: 'http://schemas.microsoft.com/ws/2012/01/insidecorporatenetwork', value: 'false' }),
  makeClaim({ type: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid', value: 'S-1-5-21-1111111111-2222222222-3333333333-1201', issuer: 'AD AUTHORITY' }),
  ...['513', '1104', '1150', '1203'].map((rid) => makeClaim({ type: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid', value: `S-1-5-21-1111111111-2222222222-3333333333-${rid}`, issuer: 'AD AUTHORITY' })),
  makeClaim({ type: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', value: 'bob@contoso.com', issuer: 'AD AUTHORITY' }),
];

let sink = 0;
const bench = new Bench({ time: 1500, warmup: true });
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
  .add('decision with trace', () => {
    sink += ruleSet.evaluate(input, { trace: true }).output.length;
  });
await bench.run();

const rows = bench.tasks.map((task) => {
  const res = task.result as unknown as { latency?: { mean: number; p99?: number }; throughput?: { mean: number } } | undefined;
  const meanMs = res?.latency?.mean ?? Number.NaN;
  return { name: task.name, meanUs: meanMs * 1000, p99Us: (res?.latency?.p99 ?? Number.NaN) * 1000, opsPerSec: res?.throughput?.mean ?? Number.NaN };
});
const parseRow = rows[0]!;
const decisionRow = rows[2]!;
const summary = {
  date: new Date().toISOString(),
  node: process.version,
  corpusEntries: corpusTexts.length,
  corpusRules,
  parseRulesPerSecond: Math.round((corpusRules * 1e6) / parseRow.meanUs),
  decisionMeanUs: Number(decisionRow.meanUs.toFixed(3)),
  decisionTargetUs: 2,
  decisionWithinTarget: decisionRow.meanUs <= 2,
  output: ruleSet.evaluate(input).output.map((c) => c.type.split('/').pop()),
  tasks: rows,
};
console.table(rows.map((r) => ({ task: r.name, 'mean µs': r.meanUs.toFixed(3), 'p99 µs': r.p99Us.toFixed(3), 'ops/s': Math.round(r.opsPerSec) })));
console.log(`parse: ${summary.parseRulesPerSecond.toLocaleString()} rules/s over ${corpusRules} corpus rules; decision: ${summary.decisionMeanUs} µs (target <= 2 µs: ${summary.decisionWithinTarget ? 'met' : 'NOT met'})`);
const outDir = fileURLToPath(new URL('../results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
writeFileSync(`${outDir}language.json`, `${JSON.stringify(summary, null, 2)}\n`);
if (sink === -1) console.log(sink);
