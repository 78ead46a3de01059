import t from 'tap';
import { makeClaim, DEVICE_CLAIM_TYPES as D, REQUEST_CLAIM_TYPES as R, MULTIPLE_AUTHN, type Claim } from '../../src/claims/index.js';
import { BUILT_IN_POLICIES, compileAccessControlPolicy, evaluateAccessControlPolicy } from '../../src/policy/index.js';

const GROUP = 'S-1-5-21-1004336348-1177238915-682003330-1201';
const c = (type: string, value: string): Claim => makeClaim({ type, value });

// Request shapes: network x device trust x group x MFA.
const INSIDE = c(R.insideCorporateNetwork, 'true');
const OUTSIDE = c(R.insideCorporateNetwork, 'false');
const MFA = c(R.authnMethodsReferences, MULTIPLE_AUTHN);
const MEMBER = c(R.groupSid, GROUP);
const KNOWN = [c(D.isKnown, 'true'), c(D.isManaged, 'false'), c(D.isCompliant, 'false')];

type Expect = 'permit' | 'deny' | 'mfa_required';
interface Row {
  readonly request: string;
  readonly claims: Claim[];
  readonly rp?: string;
}
const REQUESTS: Record<string, Row> = {
  inside: { request: 'inside', claims: [INSIDE] },
  outside: { request: 'outside', claims: [OUTSIDE] },
  noNetworkClaim: { request: 'no network claim', claims: [] },
  outsideMfa: { request: 'outside + MFA', claims: [OUTSIDE, MFA] },
  insideMember: { request: 'inside, group member', claims: [INSIDE, MEMBER] },
  outsideMemberMfa: { request: 'outside, group member + MFA', claims: [OUTSIDE, MEMBER, MFA] },
  knownDevice: { request: 'outside, known device', claims: [OUTSIDE, ...KNOWN] },
  drs: { request: 'device registration service', claims: [OUTSIDE], rp: 'urn:ms-drs:adfs.contoso.com' },
};

const TABLE: Record<string, Partial<Record<keyof typeof REQUESTS, Expect>>> = {
  'Permit everyone': { inside: 'permit', outside: 'permit', noNetworkClaim: 'permit', insideMember: 'permit', drs: 'permit' },
  'Permit everyone and require MFA': { inside: 'mfa_required', outside: 'mfa_required', outsideMfa: 'permit', knownDevice: 'mfa_required', drs: 'mfa_required' },
  'Permit everyone and require MFA for specific group': { inside: 'permit', outside: 'permit', insideMember: 'mfa_required', outsideMemberMfa: 'permit' },
  'Permit everyone and require MFA from extranet access': { inside: 'permit', insideMember: 'permit', outside: 'mfa_required', noNetworkClaim: 'mfa_required', outsideMfa: 'permit' },
  'Permit everyone and require MFA from unauthenticated devices': { inside: 'mfa_required', outside: 'mfa_required', outsideMfa: 'permit', knownDevice: 'permit' },
  'Permit everyone and require MFA, allow automatic device registration': { inside: 'mfa_required', outsideMfa: 'permit', knownDevice: 'mfa_required', drs: 'permit' },
  'Permit everyone for intranet access': { inside: 'permit', insideMember: 'permit', outside: 'deny', noNetworkClaim: 'deny', outsideMfa: 'deny' },
  'Permit specific group': { inside: 'deny', outside: 'deny', outsideMfa: 'deny', insideMember: 'permit', outsideMemberMfa: 'permit' },
};

t.test('every built-in policy has a table row', async (t) => {
  t.same(Object.keys(TABLE).sort(), [...BUILT_IN_POLICIES.keys()].sort());
});

t.test('built-in access control policies', async (t) => {
  for (const [name, row] of Object.entries(TABLE)) {
    const needs = BUILT_IN_POLICIES.get(name)!.needsGroups;
    const { policy, problems } = compileAccessControlPolicy(name, needs ? { GroupParameter: [GROUP] } : undefined);
    t.same(problems, [], `${name} compiles`);
    for (const [key, expected] of Object.entries(row)) {
      const req = REQUESTS[key]!;
      const outcome = evaluateAccessControlPolicy(policy!, { claims: req.claims, relyingPartyIdentifiers: [req.rp ?? 'https://app.contoso.com/'] });
      t.equal(outcome.result, expected, `${name}: ${req.request}`);
      if (expected !== 'deny') t.type(outcome.ruleIndex, 'number');
    }
  }
});

t.test('device trust levels are "at least" levels', async (t) => {
  const policyFor = (level: 'authenticated' | 'managed' | 'compliant') => ({
    name: `at least ${level}`,
    rules: [{ description: level, conditions: [{ kind: 'deviceTrust' as const, level }], exceptions: [], requireMfa: false }],
  });
  const devices: Record<string, Claim[]> = {
    none: [],
    registered: KNOWN,
    managed: [c(D.isKnown, 'true'), c(D.isManaged, 'true'), c(D.isCompliant, 'false')],
    compliant: [c(D.isKnown, 'true'), c(D.isManaged, 'true'), c(D.isCompliant, 'true')],
  };
  const expect: Record<string, string[]> = { authenticated: ['registered', 'managed', 'compliant'], managed: ['managed', 'compliant'], compliant: ['compliant'] };
  for (const level of ['authenticated', 'managed', 'compliant'] as const) {
    for (const [device, claims] of Object.entries(devices)) {
      const r = evaluateAccessControlPolicy(policyFor(level), { claims, relyingPartyIdentifiers: ['x'] });
      t.equal(r.result, expect[level]!.includes(device) ? 'permit' : 'deny', `${level} with ${device} device`);
    }
  }
  // Microsoft's "authenticated devices but not managed": authenticated except managed.
  const notManaged = {
    name: 'authenticated but not managed',
    rules: [{ description: 'x', conditions: [{ kind: 'deviceTrust' as const, level: 'authenticated' as const }], exceptions: [{ kind: 'deviceTrust' as const, level: 'managed' as const }], requireMfa: false }],
  };
  t.equal(evaluateAccessControlPolicy(notManaged, { claims: devices['registered']!, relyingPartyIdentifiers: [] }).result, 'permit');
  t.equal(evaluateAccessControlPolicy(notManaged, { claims: devices['managed']!, relyingPartyIdentifiers: [] }).result, 'deny');
});

t.test('policy name and parameter errors', async (t) => {
  const cases: { name: string; params?: Record<string, unknown>; problem: RegExp }[] = [
    { name: 'Permit Everyone', problem: /unknown access control policy "Permit Everyone"/ },
    { name: 'Permit specific group', problem: /needs parameter GroupParameter/ },
    { name: 'Permit specific group', params: { GroupParameter: [] }, problem: /needs parameter GroupParameter/ },
    { name: 'Permit specific group', params: { GroupParameter: ['Domain Admins'] }, problem: /"Domain Admins" is not a SID/ },
    { name: 'Permit everyone', params: { GroupParameter: [GROUP] }, problem: /takes no GroupParameter/ },
    { name: 'Permit specific group', params: { GroupParameter: GROUP, Other: 1 }, problem: /parameter "Other" is not known/ },
  ];
  for (const k of cases) {
    const r = compileAccessControlPolicy(k.name, k.params);
    t.equal(r.policy, undefined, `${k.name} ${JSON.stringify(k.params)} rejected`);
    t.match(r.problems.join('\n'), k.problem);
  }
  const single = compileAccessControlPolicy('Permit specific group', { GroupParameter: GROUP.toLowerCase() });
  t.same(single.problems, [], 'one SID as a string, any case');
  t.equal(evaluateAccessControlPolicy(single.policy!, { claims: [MEMBER], relyingPartyIdentifiers: [] }).result, 'permit');
});
