// `devicegate loadtest` against a real server on a port and against a real slapd: its report must agree
// with what the other side counted (/metrics decision counters; slapd's cn=Monitor search count).
// Behaviour only: no timing is asserted.
import t, { type Test } from 'tap';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCapture, ROOT } from '../cli/run-cli.js';
import { fixtureApp, DECIDE_TOKEN } from '../server/fixture-app.js';
import { slapdSearchCount, startSlapd } from '../harness/index.js';

interface Report {
  requests: number;
  warmupRequests: number;
  durationSeconds: number;
  achievedRate: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number };
  decisions?: { permit: number; deny: number; mfa_required: number };
  lookups?: { found: number; notFound: number };
  errors: Record<string, number>;
  errorCount: number;
  timeline: { requests: number }[];
}

/** devicegate_decisions_total{result=...} and devicegate_decision_errors_total from the exposition. */
function counters(text: string): { permit: number; deny: number; mfa_required: number; errors: number } {
  const get = (re: RegExp): number => [...text.matchAll(re)].reduce((s, m) => s + Number(m[1]), 0);
  return {
    permit: get(/^devicegate_decisions_total\{[^}]*result="permit"[^}]*\} (\d+)/gm),
    deny: get(/^devicegate_decisions_total\{[^}]*result="deny"[^}]*\} (\d+)/gm),
    mfa_required: get(/^devicegate_decisions_total\{[^}]*result="mfa_required"[^}]*\} (\d+)/gm),
    errors: get(/^devicegate_decision_errors_total\{[^}]*\} (\d+)/gm),
  };
}

function checkShape(t: Test, r: Report, labels: number): void {
  t.ok(r.requests > 0, 'requests were made');
  t.equal(labels + r.errorCount, r.requests, 'every request is counted once: labelled or an error');
  t.equal(Object.values(r.errors).reduce((a, b) => a + b, 0), r.errorCount, 'errors by code add up');
  t.equal(r.timeline.reduce((s, p) => s + p.requests, 0), r.requests, 'the timeline adds up to the requests');
  const l = r.latencyMs;
  t.ok(l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max, 'percentiles are ordered');
  t.ok(r.durationSeconds > 0 && r.achievedRate > 0, 'a rate was achieved');
}

t.test('http target: the report agrees with the server /metrics counters', async (t) => {
  const { app } = await fixtureApp(t, { logLevel: 'warn' });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const dir = await mkdtemp(join(tmpdir(), 'dg-loadtest-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));

  const before = counters((await app.inject({ method: 'GET', url: '/metrics' })).body);
  const open = await runCapture(
    ['loadtest', '--target', address, '--token', DECIDE_TOKEN, '--devices', 'fixtures/devices.json', '--rate', '150', '--duration', '1.5',
      '--unknown-share', '0.2', '--presentation', 'mixed', '--json', '--out', join(dir, 'r.json'), '--html', join(dir, 'r.html')],
  );
  t.equal(open.code, 0, open.err);
  const r = JSON.parse(open.out) as Report;
  t.equal(r.warmupRequests, 0);
  const d = r.decisions!;
  checkShape(t, r, d.permit + d.deny + d.mfa_required);
  const after = counters((await app.inject({ method: 'GET', url: '/metrics' })).body);
  t.same(
    { permit: after.permit - before.permit, deny: after.deny - before.deny, mfa_required: after.mfa_required - before.mfa_required, errors: after.errors - before.errors },
    { ...d, errors: r.errorCount },
    'decisions by result and errors equal the server counters for the run',
  );
  t.ok(d.permit > 0 && d.deny > 0, 'the fixture population gets permits and denies');
  t.same(JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')), r, '--out holds the same report');
  const html = await readFile(join(dir, 'r.html'), 'utf8');
  t.match(html, /<svg[^>]*>[\s\S]*<path d="M/, 'the HTML report draws charts');
  t.notMatch(html, /<script|src="http|href="http/, 'self-contained: no scripts or external assets');

  // Closed loop, certificates only, with a warm-up: the server counted warm-up and measured requests.
  const mid = counters((await app.inject({ method: 'GET', url: '/metrics' })).body);
  const closed = await runCapture(['loadtest', '--target', address, '--token', DECIDE_TOKEN, '--devices', 'fixtures/devices.json', '--connections', '4', '--duration', '1',
    '--warmup', '0.5', '--presentation', 'certificate', '--rp', 'https://payroll.contoso.com/', '--json'], { tty: true });
  t.equal(closed.code, 0, closed.err);
  t.match(closed.err, /(warmup|measure) \d+s +\d+ req\/s +p99 [\d.]+ ms +errors \d+/, 'live progress on a TTY (stderr)');
  const c = JSON.parse(closed.out) as Report;
  checkShape(t, c, c.decisions!.permit + c.decisions!.deny + c.decisions!.mfa_required);
  const end = counters((await app.inject({ method: 'GET', url: '/metrics' })).body);
  const served = end.permit + end.deny + end.mfa_required + end.errors - (mid.permit + mid.deny + mid.mfa_required + mid.errors);
  t.equal(served, c.requests + c.warmupRequests, 'every request sent (warm-up included) was answered and counted by the server');

  // A wrong token: every request is an error, by status and code, and the server counted them too.
  const denied = await runCapture(['loadtest', '--target', address, '--token', 'wrong', '--devices', 'fixtures/devices.json', '--connections', '2', '--duration', '0.5',
    '--rp', 'https://payroll.contoso.com/', '--json']);
  t.equal(denied.code, 0, denied.err);
  const w = JSON.parse(denied.out) as Report;
  t.equal(w.errorCount, w.requests, 'all refused');
  t.same(Object.keys(w.errors).map((k) => k.split('_')[0] + '_' + k.split('_')[1]), ['http_401'], 'errors keyed by status (and code)');
});

t.test('ldap target: lookups agree with the searches slapd counted', async (t) => {
  const server = await startSlapd(join(ROOT, 'fixtures/contoso.ldif'), { monitor: true });
  t.teardown(() => server.stop());
  const argv = (extra: string[]): string[] => [
    'loadtest', '--target', server.url, '--bind-dn', server.bindDn, '--password', server.password, '--devices', 'fixtures/devices.json', '--json', ...extra,
  ];

  const before = await slapdSearchCount(server);
  const run = await runCapture(argv(['--rate', '100', '--duration', '1', '--unknown-share', '0.3', '--presentation', 'mixed']));
  t.equal(run.code, 0, run.err);
  const r = JSON.parse(run.out) as Report;
  checkShape(t, r, r.lookups!.found + r.lookups!.notFound);
  t.equal(r.errorCount, 0, 'no errors against a healthy slapd');
  t.ok(r.lookups!.found > 0 && r.lookups!.notFound > 0, 'known and made-up devices both looked up');
  const after = await slapdSearchCount(server);
  // slapd counted: one RootDSE discovery, one search per request, and our first monitor read.
  t.equal(after - before, r.requests + 2, 'one LDAP search per look-up, as slapd counted');

  // Known devices only, each presentation: every look-up finds its device.
  for (const presentation of ['thumbprint', 'deviceId', 'certificate']) {
    const known = await runCapture(argv(['--connections', '2', '--duration', '0.5', '--presentation', presentation]));
    t.equal(known.code, 0, known.err);
    const k = JSON.parse(known.out) as Report;
    t.equal(k.lookups!.notFound, 0, `${presentation}: every device of the population is found`);
    t.equal(k.lookups!.found, k.requests, `${presentation}: found = requests`);
  }

  // A population sampled from the directory itself (paged search), as JSON lines written back out.
  const sampled = await runCapture(argv(['--connections', '2', '--duration', '0.5']).filter((a, i, all) => a !== '--devices' && all[i - 1] !== '--devices').concat(['--from-directory', server.url]));
  t.equal(sampled.code, 0, sampled.err);
  const s = JSON.parse(sampled.out) as Report & { settings: { population: number } };
  t.ok(s.settings.population >= 5, `sampled ${s.settings.population} devices from the directory`);
  t.equal(s.lookups!.notFound, 0, 'sampled devices are all found');
});

t.test('bad input: usage errors exit 2, a bad population exits 1', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dg-loadtest-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.jsonl');
  await writeFile(bad, '{"thumbprint":"00"}\nnot json\n');
  const cases: [string[], number, RegExp][] = [
    [['loadtest', '--devices', 'fixtures/devices.json', '--rate', '1'], 2, /--target is required/],
    [['loadtest', '--target', 'http://127.0.0.1:1', '--devices', 'fixtures/devices.json'], 2, /--rate .* or --connections/],
    [['loadtest', '--target', 'http://127.0.0.1:1', '--devices', 'fixtures/devices.json', '--rate', '1', '--connections', '2'], 2, /exactly one/],
    [['loadtest', '--target', 'ftp://x', '--devices', 'fixtures/devices.json', '--rate', '1'], 2, /--target must be/],
    [['loadtest', '--target', 'http://127.0.0.1:1', '--devices', 'fixtures/devices.json', '--rate=-3'], 2, /--rate must be/],
    [['loadtest', '--target', 'http://127.0.0.1:1', '--devices', 'fixtures/devices.json', '--rate', '1', '--zipf', 'x'], 2, /--zipf must be/],
    [['loadtest', '--target', 'http://127.0.0.1:1', '--devices', 'fixtures/devices.json', '--rate', '1', '--presentation', 'guess'], 2, /--presentation must be/],
    [['loadtest', '--target', 'http://127.0.0.1:1', '--devices', bad, '--rate', '1', '--rp', 'x'], 1, /bad\.jsonl:2: not JSON/],
    [['loadtest', '--target', 'http://127.0.0.1:1', '--devices', join(dir, 'missing.json'), '--rate', '1', '--rp', 'x'], 1, /cannot read/],
  ];
  for (const [argv, code, message] of cases) {
    const r = await runCapture(argv);
    t.equal(r.code, code, argv.join(' '));
    t.match(r.err, message, argv.join(' '));
  }
  const help = await runCapture(['loadtest', '--help']);
  t.equal(help.code, 0);
  t.match(help.out, /--rate N[\s\S]*--connections N[\s\S]*--html F\.html/);
});
