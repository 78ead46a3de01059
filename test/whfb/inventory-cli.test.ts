import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCapture } from '../cli/run-cli.js';
import { WORLD_LDIF, world } from './world.js';

const dir = `ldif:${WORLD_LDIF}`;
const at = world.referenceTime;
let tmp = '';
t.before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'dg-inventory-'));
});
t.teardown(() => rm(tmp, { recursive: true, force: true }));

t.test('inventory --json: the binding keys, and every finding of the world', async (t) => {
  const r = await runCapture(['inventory', '--directory', dir, '--at', at, '--json']);
  t.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out) as { devices: { total: number }; keys: { total: number }; findings: { kind: string; dn: string; detail: string }[] };
  t.type(report.devices, 'object');
  t.type(report.keys, 'object');
  t.equal(report.devices.total, world.devices.length);
  t.same(new Set(report.findings.map((f) => f.kind)), new Set(world.findings.map((f) => f.kind)));
  for (const f of report.findings) t.ok(f.detail.length > 0, `${f.kind} has a detail`);
  t.equal(r.err, '', 'no progress line when stderr is not a terminal');
});

t.test('inventory: the table on stdout, --csv and --html files, a progress line on a terminal', async (t) => {
  const csv = join(tmp, 'findings.csv');
  const html = join(tmp, 'report.html');
  const r = await runCapture(['inventory', '--directory', dir, '--at', at, '--csv', csv, '--html', html], { tty: true });
  t.equal(r.code, 0, r.err);
  t.match(r.out, /Devices\n\s+total\s+9/);
  t.match(r.out, /ROCA-vulnerable\s+1/);
  t.match(r.out, /key_orphaned \(1\)/);
  t.match(r.err, /scanning: 9 devices, \d+ users with keys/);
  const rows = (await readFile(csv, 'utf8')).split('\r\n').filter((l) => l !== '');
  t.equal(rows[0], 'kind,dn,detail');
  t.equal(rows.length - 1, world.findings.length);
  t.ok(rows.some((l) => l.startsWith('key_roca,"CN=henry,CN=Users,DC=contoso,DC=com"')), 'DNs with commas are quoted');
  const page = await readFile(html, 'utf8');
  t.match(page, /^<!doctype html>/);
  t.notMatch(page, /<script|src=|href=/i, 'self-contained: no script, no external asset');
});

t.test('inventory --stale-days changes what is stale', async (t) => {
  const r = await runCapture(['inventory', '--directory', dir, '--at', at, '--json', '--stale-days', '10000']);
  t.equal(r.code, 0);
  t.equal((JSON.parse(r.out) as { devices: { stale: number } }).devices.stale, 0);
});

t.test('inventory: usage errors and unreadable directories', async (t) => {
  for (const argv of [['--stale-days', '0'], ['--stale-days', 'x'], ['--at', 'yesterday'], ['--at', '2026-11-20'], ['--page-size', '0'], ['--bogus']]) {
    const r = await runCapture(['inventory', '--directory', dir, ...argv]);
    t.equal(r.code, 2, argv.join(' '));
    t.match(r.err, /devicegate inventory: /);
  }
  const missing = await runCapture(['inventory', '--directory', 'ldif:/nonexistent.ldif']);
  t.equal(missing.code, 1);
  t.match(missing.err, /cannot read the LDIF file \(ENOENT\)/);
  const unwritable = await runCapture(['inventory', '--directory', dir, '--csv', '/nonexistent-dir/x.csv']);
  t.equal(unwritable.code, 1);
  t.match(unwritable.err, /cannot write/);
});

t.test('whfb check: exit 0 when met, 1 with what to do when not, 2 for a bad --user', async (t) => {
  const ok = await runCapture(['whfb', 'check', '--directory', dir, '--user', 'erin@contoso.com']);
  t.equal(ok.code, 0, ok.err);
  t.match(ok.out, /all prerequisites met/);
  const frank = await runCapture(['whfb', 'check', '--directory', dir, '--user', 'frank@contoso.com', '--json']);
  t.equal(frank.code, 1);
  const result = JSON.parse(frank.out) as { ok: boolean; checks: { check: string; status: string; fix?: string }[] };
  t.equal(result.ok, false);
  t.match(result.checks.find((c) => c.status === 'fail')?.fix, /device writeback/);
  const text = await runCapture(['whfb', 'check', '--directory', dir, '--user', 'frank@contoso.com']);
  t.match(text.out, /FAIL device_written_back .*\n\s+what to do: device not written back/);
  for (const argv of [[], ['--user', 'frank'], ['--user', 'erin@contoso.com', '--device', 'not-a-guid']]) {
    const r = await runCapture(['whfb', 'check', '--directory', dir, ...argv]);
    t.equal(r.code, 2, argv.join(' '));
  }
});
