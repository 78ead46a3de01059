import t from 'tap';
import { mkdtemp, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDirectory } from '../../src/directory/index.js';
import { createDecisionEngine, simulated } from '../../src/policy/index.js';
import { makeClaim } from '../../src/claims/index.js';
import { ROOT, runCapture } from './run-cli.js';

const run = runCapture;

const AT = '2026-11-20T12:00:00Z';
const HC = 'fixtures/devices/hybrid-compliant.crt.pem';
const PRIMARY_SID = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid';
const DAN = 'S-1-5-21-2378277246-2682074319-435474115-1105';

t.test('decide --json prints exactly what the engine (and so POST /v1/decisions) answers', async (t) => {
  const r = await run(['decide', '--rp', 'https://apps.contoso.com/registered/', '--cert', HC, '--claim', `${PRIMARY_SID}=${DAN}`, '--at', AT, '--json']);
  t.equal(r.code, 0, r.err);
  const printed = JSON.parse(r.out);
  t.same([printed.decision, printed.reason.code, printed.device.status], ['permit', 'permit_rule', 'known']);

  const directory = await openDirectory({ url: `ldif:${join(ROOT, 'fixtures/contoso.ldif')}` });
  const engine = await createDecisionEngine({ rulesDir: join(ROOT, 'rules'), directory, ownsDirectory: true });
  t.teardown(() => engine.close());
  const { readFileSync } = await import('node:fs');
  const direct = await engine.decide({
    relyingParty: 'https://apps.contoso.com/registered/',
    device: { certificate: readFileSync(join(ROOT, HC), 'utf8') },
    claims: [makeClaim({ type: PRIMARY_SID, value: DAN })],
    at: new Date(AT),
  });
  // --at is a what-if at another time: the same body POST /v1/decisions gives with "simulate": true, "at".
  t.equal(r.out, `${JSON.stringify(simulated(direct, new Date(AT)))}\n`);
});

t.test('decide human output, --explain, --issued, --claims file, other device flags', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dg-decide-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'claims.json'), JSON.stringify([{ type: PRIMARY_SID, value: DAN }, { type: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', value: 'dan@contoso.com' }]));
  const human = await run(['decide', '--rp', 'urn:contoso:payroll', '--thumbprint', '0058df301bc35e03a80ec24db632facf52d05041', '--at', AT, '--explain']);
  t.equal(human.code, 0, human.err);
  t.match(human.out, /^decision: +permit$/m);
  t.match(human.out, /^reason: +permit_rule: permitted by rule "Permit compliant devices"$/m);
  t.match(human.out, /^trace:\n {2}\+ \[device\] device: status known/m);
  const issued = await run(['decide', '--rp', 'https://claims.contoso.com/', '--device-id', 'e519228d-8c2b-47d8-afb4-5b33dfe6aeff', '--claims', join(dir, 'claims.json'), '--issued', '--at', AT, '--json']);
  t.equal(issued.code, 0, issued.err);
  t.same(JSON.parse(issued.out).issuedClaims.map((c: { value: string }) => c.value), ['dan@contoso.com', 'e519228d-8c2b-47d8-afb4-5b33dfe6aeff', 'CompliantDevice']);
  const preview = await run(['decide', '--rp', 'https://payroll-preview.contoso.com/', '--at', AT]);
  t.match(preview.out, /^enforcement: +deny \(no_permit/m);
});

t.test('decide --batch: one decision per line, a bad line gives an error object', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dg-batch-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const lines = [
    JSON.stringify({ relyingParty: 'urn:contoso:payroll', device: { thumbprint: '0058DF301BC35E03A80EC24DB632FACF52D05041' } }),
    '{ not json',
    JSON.stringify({ relyingParty: 'urn:nope' }),
    '',
    JSON.stringify({ relyingParty: 'urn:contoso:payroll', device: { thumbprint: 'zz' } }),
    JSON.stringify({ relyingParty: 'urn:contoso:payroll', extra: 1 }),
    JSON.stringify({ relyingParty: 'https://intranet.contoso.com/', explain: true }),
  ];
  await writeFile(join(dir, 'in.jsonl'), `${lines.join('\n')}\n`);
  const r = await run(['decide', '--batch', join(dir, 'in.jsonl'), '--json'], { tty: true });
  t.equal(r.code, 1, 'a failed line makes the run exit 1');
  const out = r.out.trim().split('\n').map((l) => JSON.parse(l));
  t.equal(out.length, 6);
  t.equal(out[0].decision, 'permit');
  t.same(out.map((o: { line: number }) => o.line), [1, 2, 3, 5, 6, 7], 'every output line carries its input line number');
  t.same(out[1], { line: 2, error: { code: 'DG_ERR_CLI_INVALID_INPUT', message: 'line 2: not valid JSON' } });
  t.same([out[2].line, out[2].error.code, out[2].error.field], [3, 'DG_ERR_POLICY_UNKNOWN_RELYING_PARTY', 'relyingParty']);
  t.same([out[3].line, out[3].error.code, out[3].error.field], [5, 'DG_ERR_CERT_THUMBPRINT', 'device.thumbprint']);
  t.match(out[4].error.message, /unknown field "extra"/);
  t.same([out[5].decision, Array.isArray(out[5].trace)], ['mfa_required', true]);
  t.match(r.err, /\[#+\] 6\/6 \(4 errors\)/, 'progress bar on a TTY');
  const quiet = await run(['decide', '--batch', join(dir, 'in.jsonl')]);
  t.equal(
    quiet.err,
    'devicegate decide --batch: 6 lines: permit 1, mfa_required 1; 4 failed (DG_ERR_CLI_INVALID_INPUT 2, DG_ERR_POLICY_UNKNOWN_RELYING_PARTY 1, DG_ERR_CERT_THUMBPRINT 1)\n',
    'no progress bar without a TTY; the summary by decision and by error code',
  );
});

t.test('decide usage and input errors', async (t) => {
  const cases: [string[], number, RegExp][] = [
    [['decide'], 2, /--rp ID is required/],
    [['decide', '--rp', 'x', '--thumbprint', 'a', '--device-id', 'b'], 2, /at most one of/],
    [['decide', '--rp', 'x', '--claim', 'novalue'], 2, /--claim must be TYPE=VALUE/],
    [['decide', '--rp', 'x', '--at', 'yesterday'], 2, /--at must be an RFC 3339 date-time/],
    [['decide', '--rp', 'x', '--at', '2026-11-20'], 2, /--at must be an RFC 3339 date-time/],
    [['decide', '--rp', 'x', '--at', '2026-11-20T12:00:00'], 2, /--at must be an RFC 3339 date-time/],
    [['decide', '--rp', 'x', '--at', '2026-02-30T12:00:00Z'], 2, /--at must be an RFC 3339 date-time/],
    [['decide', '--batch', 'f', '--rp', 'x'], 2, /cannot be combined/],
    [['decide', '--rp', 'x', '--bogus'], 2, /Unknown option/],
    [['decide', '--rp', 'urn:contoso:payroll', '--thumbprint', 'xyz'], 1, /thumbprint/i],
    [['decide', '--rp', 'urn:nope'], 1, /no relying party has the identifier "urn:nope"/],
    [['decide', '--rp', 'x', '--cert', 'missing.pem'], 1, /--cert missing\.pem: cannot read \(ENOENT\)/],
    [['decide', '--rp', 'x', '--claims', 'fixtures/devices.json'], 1, /claims must be a JSON array/],
    [['decide', '--rp', 'x', '--directory', 'ldif:nope.ldif'], 1, /nope\.ldif/],
  ];
  for (const [argv, code, message] of cases) {
    const r = await run(argv);
    t.equal(r.code, code, argv.join(' '));
    t.match(r.err, message, argv.join(' '));
  }
});

t.test('decide with broken rules prints every file:line:col and exits 1', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dg-broken-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await cp(join(ROOT, 'rules'), dir, { recursive: true });
  await writeFile(join(dir, 'relying-parties/payroll/authorization.rules'), 'c:[Type == "a"]\n => issue(Type = "b", Value = );\n');
  await writeFile(join(dir, 'relying-parties/extranet/issuance.rules'), '@RuleName = \n');
  const r = await run(['decide', '--rp', 'urn:contoso:payroll', '--rules', dir]);
  t.equal(r.code, 1);
  t.match(r.err, /payroll\/authorization\.rules:2:\d+: error /);
  t.match(r.err, /extranet\/issuance\.rules:\d+:\d+: error /);
  t.match(r.err, /rules could not be loaded \(\d+ problems\)/);
});

t.test('decide --batch: all lines decided exits 0; --at and per-line "simulate"/"at" mark the answers as simulations', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dg-batch-at-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const lines = [
    JSON.stringify({ relyingParty: 'urn:contoso:payroll', device: { thumbprint: '0058DF301BC35E03A80EC24DB632FACF52D05041' } }),
    JSON.stringify({ relyingParty: 'urn:contoso:payroll', simulate: true, at: '2027-01-01T00:00:00+01:00' }),
  ];
  await writeFile(join(dir, 'ok.jsonl'), `${lines.join('\n')}\n`);
  const plain = await run(['decide', '--batch', join(dir, 'ok.jsonl')]);
  t.equal(plain.code, 0, plain.err);
  const [first, second] = plain.out.trim().split('\n').map((l) => JSON.parse(l));
  t.equal(first.simulation, undefined, 'a decision made now is not marked');
  t.same(second.simulation, { at: '2026-12-31T23:00:00.000Z' });
  t.same(Object.keys(second).slice(0, 3), ['line', 'simulation', 'decision']);
  t.match(plain.err, /2 lines: permit 1, deny 1; no errors/);

  const atAll = await run(['decide', '--batch', join(dir, 'ok.jsonl'), '--at', AT]);
  t.equal(atAll.code, 0, atAll.err);
  const outs = atAll.out.trim().split('\n').map((l) => JSON.parse(l));
  t.same(outs.map((o: { simulation: { at: string } }) => o.simulation.at), ['2026-11-20T12:00:00.000Z', '2026-12-31T23:00:00.000Z'], "--at for every line; a line's own at wins");

  await writeFile(join(dir, 'bad.jsonl'), [JSON.stringify({ relyingParty: 'urn:contoso:payroll', at: AT }), JSON.stringify({ relyingParty: 'urn:contoso:payroll', simulate: true, at: 'tomorrow' })].join('\n'));
  const bad = await run(['decide', '--batch', join(dir, 'bad.jsonl')]);
  t.equal(bad.code, 1);
  const errs = bad.out.trim().split('\n').map((l) => JSON.parse(l));
  t.match(errs[0].error.message, /"at" needs "simulate": true/);
  t.match(errs[1].error.message, /RFC 3339/);
});

t.test('decide --at: the answer says it is a simulation', async (t) => {
  const json = await run(['decide', '--rp', 'urn:contoso:payroll', '--at', '2026-11-20T13:00:00+01:00', '--json']);
  t.equal(json.code, 0, json.err);
  const body = JSON.parse(json.out);
  t.same(body.simulation, { at: '2026-11-20T12:00:00.000Z' });
  t.equal(Object.keys(body)[0], 'simulation');
  const human = await run(['decide', '--rp', 'urn:contoso:payroll', '--at', AT]);
  t.match(human.out, /^simulation: +what-if as of 2026-11-20T12:00:00.000Z \(not an enforcement decision\)$/m);
  const now = await run(['decide', '--rp', 'urn:contoso:payroll', '--json']);
  t.equal(JSON.parse(now.out).simulation, undefined);
});
