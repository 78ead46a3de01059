import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDirectory } from '../../src/directory/index.js';
import { createDecisionEngine, loadRegistry } from '../../src/policy/index.js';
import { ROOT, runCapture } from './run-cli.js';

const run = runCapture;

const GROUP = 'S-1-5-21-2378277246-2682074319-435474115-1201';

// Shaped like Get-AdfsRelyingPartyTrust | ConvertTo-Json (extra fields included, CRLF rule text).
const TRUSTS = [
  {
    Name: 'Payroll (prod)',
    Identifier: ['https://payroll.contoso.com/', 'urn:contoso:payroll'],
    Enabled: true,
    AutoUpdateEnabled: false,
    IssuanceAuthorizationRules:
      '@RuleTemplate = "Authorization"\r\n@RuleName = "Permit compliant"\r\nexists([Type == "http://schemas.microsoft.com/2014/09/devicecontext/claims/iscompliant", Value == "true"])\r\n => issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");\r\n',
    IssuanceTransformRules: 'c:[Type == "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"]\r\n => issue(claim = c);\r\n',
    AdditionalAuthenticationRules: null,
    AccessControlPolicyName: null,
    AccessControlPolicyParameters: null,
  },
  {
    Name: 'HR portal',
    Identifier: 'https://hr.contoso.com/',
    Enabled: false,
    IssuanceAuthorizationRules: '',
    IssuanceTransformRules: '',
    AccessControlPolicyName: 'Permit specific group',
    AccessControlPolicyParameters: { GroupParameter: [GROUP] },
  },
  {
    Name: 'Broken app',
    Identifier: ['https://broken.contoso.com/'],
    Enabled: true,
    IssuanceAuthorizationRules: '@RuleName = "ok"\r\n => issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");\r\nc:[Type == "x"\r\n => issue(claim = c);\r\n',
    AccessControlPolicyName: null,
  },
];

function utf16(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

t.test('import a UTF-16 export: good trusts written, a broken one reported and skipped', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dg-import-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'export.json'), utf16(JSON.stringify(TRUSTS, null, 4)));
  const r = await run(['import', join(dir, 'export.json'), '--out', join(dir, 'rules')]);
  t.equal(r.code, 1, 'a skipped trust makes the exit code 1');
  t.match(r.out, /imported "Payroll \(prod\)" -> .*relying-parties\/payroll-prod/);
  t.match(r.out, /imported "HR portal"/);
  t.match(r.out, /2 imported, 1 skipped/);
  t.match(r.err, /skipped "Broken app":\n {2}trust "Broken app": relying-parties\/broken-app\/authorization\.rules:4:\d+: error /);
  t.notOk(existsSync(join(dir, 'rules/relying-parties/broken-app')), 'the broken trust is not half-written');
  t.same((await readdir(join(dir, 'rules'))).sort(), ['farm.json', 'relying-parties'], 'no temporary directory left');
  t.same((await readdir(join(dir, 'rules/relying-parties/payroll-prod'))).sort(), ['authorization.rules', 'issuance.rules', 'relying-party.json']);
  const hr = JSON.parse(readFileSync(join(dir, 'rules/relying-parties/hr-portal/relying-party.json'), 'utf8'));
  t.same(hr, { name: 'HR portal', identifiers: ['https://hr.contoso.com/'], enabled: false, mode: 'enforce', accessControlPolicy: { name: 'Permit specific group', parameters: { GroupParameter: [GROUP] } } });

  // The imported tree loads and decides.
  const reg = await loadRegistry(join(dir, 'rules'));
  t.same(reg.relyingParties.map((x) => x.summary.slug), ['hr-portal', 'payroll-prod']);
  const directory = await openDirectory({ url: `ldif:${join(ROOT, 'fixtures/contoso.ldif')}` });
  const engine = await createDecisionEngine({ rulesDir: join(dir, 'rules'), directory, ownsDirectory: true, now: () => new Date('2026-11-20T12:00:00Z') });
  t.teardown(() => engine.close());
  const d = await engine.decide({ relyingParty: 'urn:contoso:payroll', device: { thumbprint: '0058DF301BC35E03A80EC24DB632FACF52D05041' } });
  t.same([d.decision, d.reason.rule], ['permit', 'Permit compliant']);
  t.equal((await engine.decide({ relyingParty: 'https://hr.contoso.com/' })).reason.code, 'relying_party_disabled');

  // Existing relying parties are skipped unless --force.
  const again = await run(['import', join(dir, 'export.json'), '--out', join(dir, 'rules'), '--json']);
  const report = JSON.parse(again.out);
  t.equal(report.imported.length, 0);
  t.match(report.skipped.map((s: { problems: string[] }) => s.problems.join()).join('\n'), /already exists \(use --force/);
  const forced = await run(['import', join(dir, 'export.json'), '--out', join(dir, 'rules'), '--force', '--json']);
  t.equal(JSON.parse(forced.out).imported.length, 2);
});

t.test('import one trust as a UTF-8 object; input errors', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dg-import-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'one.json'), `\ufeff${JSON.stringify(TRUSTS[0])}`);
  const one = await run(['import', join(dir, 'one.json'), '--out', join(dir, 'out')]);
  t.equal(one.code, 0, one.err);
  t.ok(existsSync(join(dir, 'out/relying-parties/payroll-prod/authorization.rules')));

  await writeFile(join(dir, 'bad.json'), '{ nope');
  await writeFile(join(dir, 'empty.json'), '[]');
  await writeFile(join(dir, 'acp.json'), JSON.stringify({ Name: 'X', Identifier: 'urn:x', AccessControlPolicyName: 'Permit nobody' }));
  const cases: [string[], number, RegExp][] = [
    [['import', join(dir, 'bad.json'), '--out', join(dir, 'o2')], 1, /bad\.json: not valid JSON/],
    [['import', join(dir, 'empty.json'), '--out', join(dir, 'o2')], 1, /holds no relying party trust/],
    [['import', join(dir, 'acp.json'), '--out', join(dir, 'o2')], 1, /access control policy "Permit nobody" is not built in, and neither the trust's ResultantPolicy nor a --policies export holds it/],
    [['import', join(dir, 'missing.json'), '--out', join(dir, 'o2')], 1, /cannot read \(ENOENT\)/],
    [['import', join(dir, 'one.json')], 2, /--out DIR is required/],
    [['import', '--out', 'x'], 2, /give a relying-party export F\.json and\/or --policies P\.json/],
  ];
  for (const [argv, code, err] of cases) {
    const r = await run(argv);
    t.equal(r.code, code, argv.slice(1).join(' '));
    t.match(r.err, err, argv.slice(1).join(' '));
  }
});
