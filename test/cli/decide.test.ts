import t from 'tap';
import { mkdtemp, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDirectory } from '../../src/directory/index.js';
import { createDecisionEngine } from '../../src/policy/index.js';
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
  t.equal(r.out, `${JSON.stringify(direct)}\n`);
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
  t.equal(r.code, 0, r.err);
  const out = r.out.trim().split('\n').map((l) => JSON.parse(l));
  t.equal(out.length, 6);
  t.equal(out[0].decision, 'permit');
  t.same(out[1], { line: 2, error: { code: 'DG_ERR_CLI_INVALID_INPUT', message: 'line 2: not valid JSON' } });
  t.same([out[2].line, out[2].error.code, out[2].error.field], [3, 'DG_ERR_POLICY_UNKNOWN_RELYING_PARTY', 'relyingParty']);
  t.same([out[3].line, out[3].error.code, out[3].error.field], [5, 'DG_ERR_CERT_THUMBPRINT', 'device.thumbprint']);
  t.match(out[4].error.message, /unknown field "extra"/);
  t.same([out[5].decision, Array.isArray(out[5].trace)], ['mfa_required', true]);
  t.match(r.err, /\[#+\] 6\/6 \(4 errors\)/, 'progress bar on a TTY');
  const quiet = await run(['decide', '--batch', join(dir, 'in.jsonl')]);
  t.equal(quiet.err, '', 'no progress bar without a TTY');
});

t.test('decide usage and input errors', async (t) => {
  const cases: [string[], number, RegExp][] = [
    [['decide'], 2, /--rp ID is required/],
    [['decide', '--rp', 'x', '--thumbprint', 'a', '--device-id', 'b'], 2, /at most one of/],
    [['decide', '--rp', 'x', '--claim', 'novalue'], 2, /--claim must be TYPE=VALUE/],
    [['decide', '--rp', 'x', '--at', 'yesterday'], 2, /--at must be an ISO 8601 time/],
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
