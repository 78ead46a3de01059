// The benchmark suite: `npm run bench [-- --quick] [-- --only NAME[,NAME]]`.
// Runs each scenario of bench/scenarios.ts, every step in its own process (one after another: the
// machine is shared and each step measures against a baseline in the same run), then writes
// bench/results/latest.json with the machine, the settings and every step's result, and prints a table.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { SCENARIOS, type Headline } from './scenarios.js';

const ROOT = new URL('../', import.meta.url).pathname;
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyIndex = args.findIndex((a) => a === '--only' || a.startsWith('--only='));
const only = onlyIndex < 0 ? undefined : (args[onlyIndex]!.includes('=') ? args[onlyIndex]!.split('=')[1]! : args[onlyIndex + 1] ?? '').split(',').filter((s) => s !== '');
if (args.includes('--help')) {
  process.stdout.write(`Usage: npm run bench [-- --quick] [-- --only NAME[,NAME...]]\nScenarios:\n${SCENARIOS.map((s) => `  ${s.name.padEnd(10)} ${s.means}`).join('\n')}\n`);
  process.exit(0);
}
const unknown = only?.filter((n) => !SCENARIOS.some((s) => s.name === n)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown scenario ${unknown.join(', ')} (have ${SCENARIOS.map((s) => s.name).join(', ')})\n`);
  process.exit(2);
}

/** A step that hangs is stopped (SIGTERM) after this long and counted as failed. */
const STEP_TIMEOUT_MS = (quick ? 300 : 1800) * 1000;

function runStep(script: string, env: Record<string, string>): Promise<number> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `${ROOT}bench/${script}`], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'inherit' });
    const timer = setTimeout(() => {
      process.stderr.write(`bench: ${script} still running after ${STEP_TIMEOUT_MS / 1000} s: stopping it\n`);
      child.kill('SIGTERM');
    }, STEP_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      ok(code ?? 1);
    });
  });
}

const started = new Date();
const load = { start: loadavg().map((x) => Number(x.toFixed(2))), end: [] as number[] };
const scenarios: Record<string, unknown>[] = [];
const table: (Headline & { scenario: string })[] = [];
const t0 = performance.now();
for (const scenario of SCENARIOS) {
  if (only ? !only.includes(scenario.name) : false) continue;
  if (scenario.optional && !scenario.steps.every((s) => existsSync(`${ROOT}bench/${s.script}`))) {
    if (only) process.stdout.write(`== ${scenario.name}: skipped (bench/${scenario.steps[0]!.script} is not here)\n`);
    continue;
  }
  if (quick && scenario.notInQuick && !only) {
    scenarios.push({ name: scenario.name, skipped: `not in --quick: ${scenario.notInQuick}` });
    process.stdout.write(`== ${scenario.name}: skipped in --quick (${scenario.notInQuick})\n`);
    continue;
  }
  process.stdout.write(`== ${scenario.name}: ${scenario.means}\n`);
  const results: Record<string, Record<string, unknown>> = {};
  const steps: Record<string, unknown>[] = [];
  const s0 = performance.now();
  for (const step of scenario.steps) {
    if (quick && step.notInQuick !== undefined) {
      steps.push({ script: `bench/${step.script}`, skipped: `not in --quick: ${step.notInQuick}` });
      continue;
    }
    const env = { ...step.env, ...(quick ? step.quickEnv : {}) };
    const code = await runStep(step.script, env);
    let result: Record<string, unknown> | undefined;
    if (code === 0) {
      try {
        result = JSON.parse(await readFile(`${ROOT}bench/results/${step.result}.json`, 'utf8')) as Record<string, unknown>;
        results[step.result] = result;
      } catch {
        result = undefined;
      }
    }
    steps.push({ script: `bench/${step.script}`, env, exitCode: code, ...(result ? { result } : { failed: true }) });
  }
  const headline = scenario.headline(results);
  for (const h of headline) table.push({ scenario: scenario.name, ...h });
  scenarios.push({ name: scenario.name, means: scenario.means, seconds: Number(((performance.now() - s0) / 1000).toFixed(1)), headline, steps });
}
load.end = loadavg().map((x) => Number(x.toFixed(2)));

const cpu = cpus();
const latest = {
  date: started.toISOString(),
  seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
  settings: { quick, only: only ?? null },
  machine: { cpus: cpu.length, cpuModel: cpu[0]?.model ?? 'unknown', memoryBytes: totalmem(), platform: `${platform()} ${release()}`, node: process.version, loadAverage: load },
  note: 'Every figure is a ratio to a baseline measured in the same run, in the same conditions; absolute numbers depend on the machine and its other load.',
  table,
  scenarios,
};
await mkdir(`${ROOT}bench/results`, { recursive: true });
// --only: the named scenarios replace theirs in an existing latest.json (each scenario keeps its date).
for (const s of scenarios) s.date = started.toISOString();
let written: typeof latest = latest;
if (only) {
  try {
    const previous = JSON.parse(await readFile(`${ROOT}bench/results/latest.json`, 'utf8')) as typeof latest;
    const names = new Set(scenarios.map((s) => s.name));
    written = {
      ...previous,
      machine: latest.machine,
      table: [...previous.table.filter((r) => !names.has(r.scenario)), ...table],
      scenarios: [...previous.scenarios.filter((s) => !names.has(s.name)), ...scenarios],
    };
  } catch {
    written = latest;
  }
}
await writeFile(`${ROOT}bench/results/latest.json`, `${JSON.stringify(written, null, 2)}\n`);

const cell = (v: number | string): string => (typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en') : v.toFixed(3)) : v);
process.stdout.write(`\n${started.toISOString()}  ${cpu.length} x ${cpu[0]?.model ?? '?'}  node ${process.version}  load ${load.start.join(' ')} -> ${load.end.join(' ')}${quick ? '  (--quick)' : ''}\n`);
process.stdout.write(`| scenario | figure | value | baseline | ratio | bar |\n| --- | --- | ---: | ---: | ---: | --- |\n`);
for (const row of table) process.stdout.write(`| ${row.scenario} | ${row.figure} | ${cell(row.value)} | ${cell(row.baseline)} | ${cell(row.ratio)} | ${row.bar ?? ''} |\n`);
process.stdout.write(`(${latest.seconds} s; written to bench/results/latest.json${only ? ', merged with the scenarios it had' : ''})\n`);
const failed = scenarios.flatMap((s) => ((s.steps as { exitCode?: number; script: string }[] | undefined) ?? []).filter((x) => x.exitCode !== undefined && x.exitCode !== 0).map((x) => x.script));
if (failed.length > 0) {
  process.stderr.write(`bench: failed steps: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
