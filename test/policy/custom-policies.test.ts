import t from 'tap';
import { makeClaim, REQUEST_CLAIM_TYPES as R, MULTIPLE_AUTHN, type Claim } from '../../src/claims/index.js';
import { createDecisionEngine, loadRegistry, parsePolicyMetadata, PolicyLoadError, type DecisionRequest } from '../../src/policy/index.js';
import { always, claim, deviceTrust, groups, location, mfa, policyMetadata, raw } from './adfs-exports.js';
import { device, groupSid, now, openFixtureDirectory, rp, RULES, tempRules, user, userClaims } from './helpers.js';

const BLOCKED = groupSid('Payroll Blocked');
const UPN = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';

// A custom policy as an admin builds it in the AD FS policy editor.
const DEVICE_POLICY = policyMetadata([
  { conditions: [deviceTrust('compliant')] },
  { conditions: [location('intranet'), deviceTrust('managed')], exceptions: [groups(BLOCKED)] },
  { conditions: [location('extranet'), mfa()] },
  { conditions: [claim(UPN, 'alice@contoso.com')] },
]);
// A parameterized one ("specified when the policy is assigned").
const GROUP_MFA_POLICY = policyMetadata([{ conditions: [groups('{GroupParameter}'), mfa()] }, { conditions: [always()], exceptions: [groups('{GroupParameter}')] }]);

function policyFiles(slug: string, name: string, xml: string): Record<string, string> {
  return { [`access-control-policies/${slug}/access-control-policy.json`]: JSON.stringify({ name }), [`access-control-policies/${slug}/policy-metadata.xml`]: xml };
}

const TREE = {
  'farm.json': '{}',
  ...policyFiles('contoso-device', 'Contoso device policy', DEVICE_POLICY),
  ...policyFiles('group-mfa', 'Contoso MFA for a group', GROUP_MFA_POLICY),
  'relying-parties/app/relying-party.json': rp('App', ['urn:app'], { accessControlPolicy: { name: 'Contoso device policy' } }),
  'relying-parties/hr/relying-party.json': rp('HR', ['urn:hr'], { accessControlPolicy: { name: 'Contoso MFA for a group', parameters: { GroupParameter: [BLOCKED] } } }),
};

const MFA_CLAIM = makeClaim({ type: R.authnMethodsReferences, value: MULTIPLE_AUTHN });
const NO_NETWORK = (claims: Claim[]): Claim[] => claims.filter((c) => c.type !== R.insideCorporateNetwork);

interface Row {
  readonly name: string;
  readonly request: DecisionRequest;
  readonly decision: 'permit' | 'deny' | 'mfa_required';
  readonly rule?: RegExp;
}
const tp = (slug: string): { thumbprint: string } => ({ thumbprint: device(slug).thumbprint });
const ROWS: Row[] = [
  { name: 'compliant device, extranet', request: { relyingParty: 'urn:app', device: tp('hybrid-compliant'), claims: userClaims(user('dan'), false) }, decision: 'permit', rule: /rule 1 \(permit compliant devices\)/ },
  { name: 'managed device, intranet', request: { relyingParty: 'urn:app', device: tp('managed-noncompliant'), claims: userClaims(user('dan'), true) }, decision: 'permit', rule: /rule 2 \(permit from intranet and managed devices except members of/ },
  { name: 'managed device, intranet, excepted group', request: { relyingParty: 'urn:app', device: tp('managed-noncompliant'), claims: userClaims(user('bob'), true) }, decision: 'deny' },
  { name: 'registered (not managed) device, intranet', request: { relyingParty: 'urn:app', device: tp('byod-personal'), claims: userClaims(user('dan'), true) }, decision: 'deny' },
  { name: 'no device, extranet', request: { relyingParty: 'urn:app', claims: userClaims(user('dan'), false) }, decision: 'mfa_required', rule: /rule 3/ },
  { name: 'no device, extranet, MFA done', request: { relyingParty: 'urn:app', claims: [...userClaims(user('dan'), false), MFA_CLAIM] }, decision: 'permit', rule: /rule 3 \(permit from extranet with MFA\)/ },
  { name: 'no device, no network claim (counts as extranet)', request: { relyingParty: 'urn:app', claims: NO_NETWORK(userClaims(user('dan'))) }, decision: 'mfa_required' },
  { name: 'a specific claim in the request', request: { relyingParty: 'urn:app', claims: userClaims(user('alice'), false) }, decision: 'permit', rule: /rule 4/ },
  { name: 'disabled device is no device', request: { relyingParty: 'urn:app', device: tp('disabled'), claims: userClaims(user('dan'), true) }, decision: 'deny' },
  { name: 'parameterized: member of the group needs MFA', request: { relyingParty: 'urn:hr', claims: userClaims(user('bob'), true) }, decision: 'mfa_required' },
  { name: 'parameterized: member with MFA', request: { relyingParty: 'urn:hr', claims: [...userClaims(user('bob'), true), MFA_CLAIM] }, decision: 'permit' },
  { name: 'parameterized: everyone else', request: { relyingParty: 'urn:hr', claims: userClaims(user('dan'), false) }, decision: 'permit', rule: /rule 2 \(permit everyone except members of S-1-5-21-/ },
];

t.test('custom policies from access-control-policies/ decide as the AD FS editor describes them', async (t) => {
  const r = await tempRules(TREE);
  t.teardown(r.done);
  const reg = await loadRegistry(r.dir, { cwd: r.dir });
  t.same([...reg.customPolicies.keys()].sort(), ['Contoso MFA for a group', 'Contoso device policy']);
  t.same(reg.warnings, []);
  const engine = await createDecisionEngine({ rulesDir: r.dir, directory: await openFixtureDirectory(), ownsDirectory: true, now });
  t.teardown(() => engine.close());
  for (const row of ROWS) {
    const d = await engine.decide(row.request);
    t.equal(d.decision, row.decision, row.name);
    if (row.rule !== undefined) t.match(d.reason.message, row.rule, `${row.name}: reason`);
  }
});

interface ErrorCase {
  readonly name: string;
  readonly xml: string;
  readonly expect: { line: number; column: number; message: RegExp };
}

const ERRORS: ErrorCase[] = [
  {
    name: 'an IP-range location (the MsId "Block Off Corp and VPN" shape)',
    xml: policyMetadata([{ conditions: [location('205.143.204.1-205.143.205.250', '12.159.168.1/24')] }]),
    expect: { line: 6, column: 9, message: /IP range; devicegate does not see the client address/ },
  },
  {
    name: 'a condition type devicegate cannot evaluate',
    xml: policyMetadata([{ conditions: [raw('ClientApplicationCondition', '<Operator>Equals</Operator>', '<Values><Value>x</Value></Values>')] }]),
    expect: { line: 6, column: 9, message: /condition type "ClientApplicationCondition" is not one devicegate can evaluate/ },
  },
  {
    name: 'an operator devicegate cannot evaluate',
    xml: policyMetadata([{ conditions: [raw('SpecificClaimCondition', `<ClaimType>${UPN}</ClaimType>`, '<Operator>Contains</Operator>', '<Values><Value>x</Value></Values>')] }]),
    expect: { line: 8, column: 11, message: /operator "Contains" of SpecificClaimCondition is not supported/ },
  },
  {
    name: 'a device trust level that does not exist',
    xml: policyMetadata([{ conditions: [deviceTrust('trusted')] }]),
    expect: { line: 6, column: 9, message: /device trust level "trusted" is not authenticated, managed or compliant/ },
  },
  {
    name: 'a rule with only exceptions',
    xml: policyMetadata([{ conditions: [], exceptions: [groups(BLOCKED)] }]),
    expect: { line: 4, column: 5, message: /a <Rule> without conditions/ },
  },
  {
    name: 'a group given by name (devicegate compares SIDs)',
    xml: policyMetadata([{ conditions: [groups('CONTOSO\\Payroll Blocked')] }]),
    expect: { line: 6, column: 9, message: /group "CONTOSO\\Payroll Blocked" is not a SID/ },
  },
  { name: 'not XML', xml: '<PolicyMetadata', expect: { line: 1, column: 1, message: /not well-formed XML/ } },
  { name: 'another root element', xml: '<Policy xmlns="urn:x"/>', expect: { line: 1, column: 1, message: /root element must be <PolicyMetadata/ } },
  {
    name: 'an element devicegate does not know',
    xml: policyMetadata([{ conditions: [always()] }]).replace('<IssuanceAuthorizationRules>', '<DelegationAuthorizationRules />\r\n  <IssuanceAuthorizationRules>'),
    expect: { line: 3, column: 3, message: /<DelegationAuthorizationRules> is not something devicegate can evaluate/ },
  },
];

t.test('anything devicegate cannot evaluate is an error at its line:col', async (t) => {
  for (const c of ERRORS) {
    const { policy, problems } = parsePolicyMetadata(c.xml.replace(/\r\n/g, '\n'));
    t.equal(policy, undefined, `${c.name}: not loaded`);
    t.match(problems[0], { severity: 'error', ...c.expect }, c.name);
  }
  const fresh = parsePolicyMetadata(policyMetadata([{ conditions: [always()] }], true));
  t.ok(fresh.policy, 'RequireFreshAuthentication true loads');
  t.match(fresh.problems, [{ severity: 'warning', line: 2, message: /RequireFreshAuthentication is true/ }]);
});

t.test('the loader reports policy problems with file:line:col (and lint prints them)', async (t) => {
  const r = await tempRules({
    ...TREE,
    ...policyFiles('ip', 'MsId Block Off Corp and VPN', ERRORS[0]!.xml),
    'access-control-policies/builtin/access-control-policy.json': JSON.stringify({ name: 'Permit everyone' }),
    'access-control-policies/builtin/policy-metadata.xml': DEVICE_POLICY,
    'access-control-policies/no-xml/access-control-policy.json': '{\n  "name": "No XML"\n}',
    'relying-parties/hr/relying-party.json': rp('HR', ['urn:hr'], { accessControlPolicy: { name: 'Contoso MFA for a group', parameters: { GroupParameter: ['CONTOSO\\Payroll Blocked'], Other: 'x' } } }),
    'relying-parties/ip/relying-party.json': rp('IP', ['urn:ip'], { accessControlPolicy: { name: 'MsId Block Off Corp and VPN' } }),
  });
  t.teardown(r.done);
  const error = (await loadRegistry(r.dir, { cwd: r.dir }).catch((e: unknown) => e)) as PolicyLoadError;
  t.type(error, PolicyLoadError);
  const all = error.diagnostics.join('\n');
  t.match(all, /access-control-policies\/ip\/policy-metadata\.xml:6:9: error: location "205\.143\.204\.1-205\.143\.205\.250" is an IP range/);
  t.match(all, /access-control-policies\/builtin\/access-control-policy\.json:1:9: error: "Permit everyone" is a built-in policy/);
  t.match(all, /access-control-policies\/no-xml\/policy-metadata\.xml: file not found/);
  t.match(all, /relying-parties\/hr\/relying-party\.json:1:\d+: error: access control policy parameter "Other" is not used by "Contoso MFA for a group"/);
  t.match(all, /GroupParameter value "CONTOSO\\\\Payroll Blocked" is not a SID/);
  t.match(all, /relying-parties\/ip\/relying-party\.json:1:\d+: error: unknown access control policy "MsId Block Off Corp and VPN"/);
});

t.test('the sample custom policy in rules/ loads', async (t) => {
  const reg = await loadRegistry(RULES);
  const sample = reg.customPolicies.get('Contoso device access');
  t.ok(sample, 'rules/access-control-policies/contoso-device-access');
  t.equal(sample?.template.rules.length, 3);
  t.same(sample?.template.rules[2]?.exceptions, [{ kind: 'groups', values: [{ literal: BLOCKED }] }]);
});
