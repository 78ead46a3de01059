import t from 'tap';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REQUEST_CLAIM_TYPES as R, MULTIPLE_AUTHN } from '../../src/claims/index.js';
import { always, deviceTrust, groups, location, mfa, policyExport, policyMetadata, policyObject, powershellJson, trustExport, utf16le, utf8bom } from '../policy/adfs-exports.js';
import { device, groupSid, user } from '../policy/helpers.js';
import { runCapture } from './run-cli.js';

const BLOCKED = groupSid('Payroll Blocked');
const DEVICE_POLICY = policyMetadata([
  { conditions: [deviceTrust('compliant')] },
  { conditions: [location('intranet'), deviceTrust('managed')], exceptions: [groups(BLOCKED)] },
  { conditions: [location('extranet'), mfa()] },
]);
const DEVICE_SUMMARY = "RequireFreshAuthentication:False\nIssuanceAuthorizationRules:\n{\r\n  Permit users \n    from devices with 'compliant' trust level;\n\r\n  ...\r\n}";
const GROUP_TEMPLATE = policyMetadata([{ conditions: [groups('{GroupParameter}'), mfa()] }, { conditions: [always()], exceptions: [groups('{GroupParameter}')] }]);
const GROUP_RESOLVED = policyMetadata([{ conditions: [groups(BLOCKED), mfa()] }, { conditions: [always()], exceptions: [groups(BLOCKED)] }]);
const EXTRANET_MFA = policyMetadata([{ conditions: [location('intranet')] }, { conditions: [location('extranet'), mfa()] }]);

const TRUSTS = [
  trustExport({ Name: 'Contoso Intranet Portal', Identifier: ['https://portal.contoso.com/'], AccessControlPolicyName: 'Contoso device policy', ResultantPolicy: policyObject(DEVICE_POLICY, DEVICE_SUMMARY) }),
  trustExport({
    Name: 'HR Self Service',
    Identifier: ['https://hr.contoso.com/adfs'],
    AccessControlPolicyName: 'Contoso MFA for a group',
    AccessControlPolicyParameters: { GroupParameter: [BLOCKED] },
    ResultantPolicy: policyObject(GROUP_RESOLVED, 'RequireFreshAuthentication:False\n...'),
  }),
  trustExport({ Name: 'Blackboard', Identifier: ['https://customer.blackboard.com/mgmt'], AccessControlPolicyName: 'Permit everyone and require MFA from extranet access', ResultantPolicy: policyObject(EXTRANET_MFA, '...') }),
  trustExport({
    Name: 'Expenses',
    Identifier: ['https://expenses.contoso.com/'],
    IssuanceAuthorizationRules:
      '@RuleTemplate = "Authorization"\r\n@RuleName = "Permit managed"\r\nc:[Type == "http://schemas.microsoft.com/2012/01/devicecontext/claims/ismanaged", Value =~ "^(?i)true$"]\r\n => issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "PermitUsersWithClaim");\r\n\r\n',
    IssuanceTransformRules:
      '@RuleTemplate = "LdapClaims"\r\n@RuleName = "LDAP"\r\nc:[Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname", Issuer == "AD AUTHORITY"]\r\n => issue(store = "Active Directory", types = ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"), query = ";userPrincipalName;{0}", param = c.Value);\r\n\r\n',
  }),
];
const POLICIES = [
  policyExport({ Name: 'Permit everyone', IsBuiltIn: true, PolicyMetadata: policyObject(policyMetadata([{ conditions: [always()] }]), 'Permit everyone') }),
  policyExport({ Name: 'Contoso MFA for a group', Description: 'MFA for the group given at assignment', PolicyMetadata: policyObject(GROUP_TEMPLATE, '...', true) }),
  policyExport({ Name: 'Contoso device policy', PolicyMetadata: policyObject(DEVICE_POLICY, DEVICE_SUMMARY) }),
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]));
}

async function decide(rules: string, rp: string, extra: string[]): Promise<{ decision: string; reason: { message: string } }> {
  const r = await runCapture(['decide', '--rules', rules, '--rp', rp, '--at', '2026-11-20T12:00:00Z', '--json', ...extra]);
  if (r.code !== 0) throw new Error(r.err);
  return JSON.parse(r.out) as { decision: string; reason: { message: string } };
}

const inside = (v: boolean): string[] => ['--claim', `${R.insideCorporateNetwork}=${v}`];
const member = (name: string): string[] => ['--claim-issuer', 'AD AUTHORITY', ...user(name).groups.flatMap((g) => ['--claim', `${R.groupSid}=${groupSid(g)}`]), '--claim', `${R.primarySid}=${user(name).sid}`, '--claim-issuer', 'LOCAL AUTHORITY'];
const MFA = ['--claim', `${R.authnMethodsReferences}=${MULTIPLE_AUTHN}`];

t.test('import trusts on custom policies (ResultantPolicy + policy export), lint clean, fmt clean, decide as AD FS would', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dg-import-acp-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'trusts.json'), utf16le(powershellJson(TRUSTS)));
  await writeFile(join(dir, 'policies.json'), utf8bom(powershellJson(POLICIES)));
  const out = join(dir, 'rules');
  const r = await runCapture(['import', join(dir, 'trusts.json'), '--policies', join(dir, 'policies.json'), '--out', out]);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /imported policy "Contoso MFA for a group" -> .*access-control-policies\/contoso-mfa-for-a-group/);
  t.match(r.out, /imported policy "Contoso device policy"/);
  t.notMatch(r.out, /policy "Permit everyone"/, 'built-in policies are not written');
  t.match(r.out, /4 imported, 0 skipped; policies: 2 imported, 0 skipped/);
  const hr = JSON.parse(readFileSync(join(out, 'relying-parties/hr-self-service/relying-party.json'), 'utf8'));
  t.same(hr.accessControlPolicy, { name: 'Contoso MFA for a group', parameters: { GroupParameter: [BLOCKED] } }, 'the template with the trust\'s parameters');
  t.same(JSON.parse(readFileSync(join(out, 'access-control-policies/contoso-mfa-for-a-group/access-control-policy.json'), 'utf8')), { name: 'Contoso MFA for a group', description: 'MFA for the group given at assignment' });
  for (const f of filesUnder(out)) t.notOk(readFileSync(f).includes(0x0d), `${f.slice(out.length)} has LF line ends`);

  const lint = await runCapture(['rules', 'lint', out]);
  t.equal(lint.code, 0, lint.out + lint.err);
  t.match(lint.out, /0 errors, 0 warnings/);
  const fmt = await runCapture(['rules', 'fmt', '--check', out]);
  t.equal(fmt.code, 0, fmt.out + fmt.err);

  const mn = ['--thumbprint', device('managed-noncompliant').thumbprint];
  t.equal((await decide(out, 'https://portal.contoso.com/', [...mn, ...inside(true), ...member('dan')])).decision, 'permit', 'managed device on the intranet');
  t.equal((await decide(out, 'https://portal.contoso.com/', [...mn, ...inside(true), ...member('bob')])).decision, 'deny', 'excepted group');
  t.equal((await decide(out, 'https://portal.contoso.com/', [...inside(false), ...member('dan')])).decision, 'mfa_required', 'no device, extranet');
  t.equal((await decide(out, 'https://hr.contoso.com/adfs', [...inside(true), ...member('bob')])).decision, 'mfa_required', 'parameterized group needs MFA');
  t.equal((await decide(out, 'https://hr.contoso.com/adfs', [...inside(true), ...member('bob'), ...MFA])).decision, 'permit');
  t.equal((await decide(out, 'https://hr.contoso.com/adfs', [...inside(false), ...member('dan')])).decision, 'permit', 'everyone else');
  t.equal((await decide(out, 'https://customer.blackboard.com/mgmt', inside(false))).decision, 'mfa_required', 'built-in policy');
  t.equal((await decide(out, 'https://expenses.contoso.com/', [...mn])).decision, 'permit', 'rules imported canonically still decide');

  // Again without --force: everything is already there (policies identical, trusts skipped).
  const again = await runCapture(['import', join(dir, 'trusts.json'), '--policies', join(dir, 'policies.json'), '--out', out, '--json']);
  const report = JSON.parse(again.out);
  t.same([report.imported.length, report.skipped.length, report.policies.length, report.skippedPolicies.length], [0, 4, 0, 0]);
});

t.test('import from ResultantPolicy alone: a parameterized policy becomes the trust\'s own resolved policy', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dg-import-acp-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'trusts.json'), utf16le(powershellJson(TRUSTS)));
  const out = join(dir, 'rules');
  const r = await runCapture(['import', join(dir, 'trusts.json'), '--out', out]);
  t.equal(r.code, 0, r.err);
  t.match(r.err, /"Contoso MFA for a group" is parameterized and no --policies export holds it; imported the trust's resolved ResultantPolicy as "Contoso MFA for a group \(HR Self Service\)"/);
  const hr = JSON.parse(readFileSync(join(out, 'relying-parties/hr-self-service/relying-party.json'), 'utf8'));
  t.same(hr.accessControlPolicy, { name: 'Contoso MFA for a group (HR Self Service)' });
  t.equal((await runCapture(['rules', 'lint', out])).code, 0);
  t.equal((await decide(out, 'https://hr.contoso.com/adfs', [...inside(true), ...member('bob')])).decision, 'mfa_required');
  t.equal((await decide(out, 'https://hr.contoso.com/adfs', [...inside(true), ...member('dan')])).decision, 'permit');
});

t.test('a trust on a policy devicegate cannot evaluate is skipped with the position', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dg-import-acp-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const ip = policyMetadata([{ conditions: [location('205.143.204.1-205.143.205.250', '12.159.168.1/24', '12.35.175.1/26')] }]);
  const trusts = [trustExport({ Name: 'Google Cloud Console', Identifier: ['google.com'], AccessControlPolicyName: 'MsId Block Off Corp and VPN', ResultantPolicy: policyObject(ip, '...') })];
  await writeFile(join(dir, 'trusts.json'), utf16le(powershellJson(trusts)));
  const r = await runCapture(['import', join(dir, 'trusts.json'), '--out', join(dir, 'rules')]);
  t.equal(r.code, 1);
  t.match(r.err, /skipped "Google Cloud Console":\n {2}trust "Google Cloud Console": access-control-policies\/msid-block-off-corp-and-vpn\/policy-metadata\.xml:6:9: error: location "205\.143\.204\.1-205\.143\.205\.250" is an IP range/);
  t.same(readdirSync(join(dir, 'rules')).sort(), ['farm.json', 'relying-parties'], 'nothing of the skipped trust is written');
});

t.test('import --policies alone; PolicyMetadata as plain XML text; a policy devicegate cannot evaluate is skipped', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dg-import-acp-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const ip = policyMetadata([{ conditions: [location('10.0.0.0/8')] }]);
  const policies = [
    policyExport({ Name: 'Contoso device policy', PolicyMetadata: DEVICE_POLICY }),
    policyExport({ Name: 'Corp IPs only', PolicyMetadata: policyObject(ip, '...') }),
  ];
  await writeFile(join(dir, 'policies.json'), utf16le(powershellJson(policies)));
  const out = join(dir, 'rules');
  const r = await runCapture(['import', '--policies', join(dir, 'policies.json'), '--out', out]);
  t.equal(r.code, 1, 'a skipped policy makes the exit code 1');
  t.match(r.out, /imported policy "Contoso device policy"/);
  t.match(r.err, /skipped "Corp IPs only":\n {2}policy "Corp IPs only": access-control-policies\/corp-ips-only\/policy-metadata\.xml:6:9: error: location "10\.0\.0\.0\/8" is an IP range/);
  t.match(r.out, /0 imported, 0 skipped; policies: 1 imported, 1 skipped/);
  t.equal(readFileSync(join(out, 'access-control-policies/contoso-device-policy/policy-metadata.xml'), 'utf8'), `${DEVICE_POLICY.replace(/\r\n/g, '\n')}\n`, 'the XML as AD FS wrote it, with LF');
  t.equal((await runCapture(['rules', 'lint', out])).code, 0);
  // The tree now has the policy: a trusts export without ResultantPolicy can reference it by name.
  const trusts = [trustExport({ Name: 'Portal', Identifier: ['urn:portal'], AccessControlPolicyName: 'Contoso device policy' })];
  await writeFile(join(dir, 'trusts.json'), utf16le(powershellJson(trusts)));
  const second = await runCapture(['import', join(dir, 'trusts.json'), '--out', out]);
  t.equal(second.code, 0, second.err);
  t.equal((await decide(out, 'urn:portal', ['--thumbprint', device('hybrid-compliant').thumbprint])).decision, 'permit');
});
