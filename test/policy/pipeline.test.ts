import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeClaim, DEVICE_CLAIM_TYPES as D, REQUEST_CLAIM_TYPES as R, MULTIPLE_AUTHN, type Claim } from '../../src/claims/index.js';
import { LdifDirectory } from '../../src/directory/index.js';
import { createDecisionEngine, type DecisionEngineOptions } from '../../src/policy/index.js';
import { certificatePem, device, LDIF, now, openFixtureDirectory, PERMIT_ALL, ROOT, RULES, rp, tempRules, user, userClaims } from './helpers.js';

const c = (type: string, value: string): Claim => makeClaim({ type, value });
const MFA_DONE = c(R.authnMethodsReferences, MULTIPLE_AUTHN);
const DENY_X = '@RuleName = "Deny X"\nc:[Type == "urn:x"] => issue(Type = "http://schemas.microsoft.com/authorization/claims/deny", Value = "DenyUsersWithClaim");\n';
const PERMIT_NAMED = `@RuleName = "Permit all"\n${PERMIT_ALL}`;
const REQUIRE_MFA = '@RuleName = "MFA for all"\n=> issue(Type = "http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod", Value = "http://schemas.microsoft.com/claims/multipleauthn");\n';
const PERMIT_AFTER_MFA = '@RuleName = "Permit after MFA"\nc:[Type == "http://schemas.microsoft.com/claims/authnmethodsreferences", Value == "http://schemas.microsoft.com/claims/multipleauthn"] => issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");\n';
const PERMIT_IF_Y = '@RuleName = "Permit Y"\nc:[Type == "urn:y"] => issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");\n';

async function engineFor(files: Record<string, string | null>, options: Partial<DecisionEngineOptions> = {}) {
  const r = await tempRules({ 'farm.json': '{}', ...files });
  const directory = await openFixtureDirectory();
  const engine = await createDecisionEngine({ rulesDir: r.dir, directory, now, ownsDirectory: true, ...options });
  return { engine, directory, done: async () => { await engine.close(); await r.done(); } };
}

t.test('pipeline cases', async (t) => {
  const { engine, done } = await engineFor({
    'relying-parties/deny-wins/relying-party.json': rp('Deny wins', ['urn:deny-wins']),
    'relying-parties/deny-wins/authorization.rules': PERMIT_NAMED + DENY_X,
    'relying-parties/mfa/relying-party.json': rp('MFA', ['urn:mfa']),
    'relying-parties/mfa/authorization.rules': PERMIT_NAMED,
    'relying-parties/mfa/additional-authentication.rules': REQUIRE_MFA,
    'relying-parties/mfa-then-deny/relying-party.json': rp('MFA then deny', ['urn:mfa-then-deny']),
    'relying-parties/mfa-then-deny/authorization.rules': PERMIT_IF_Y,
    'relying-parties/mfa-then-deny/additional-authentication.rules': REQUIRE_MFA,
    'relying-parties/amr-only/relying-party.json': rp('Tests amr only', ['urn:amr-only']),
    'relying-parties/amr-only/authorization.rules': PERMIT_AFTER_MFA,
    'relying-parties/unnamed/relying-party.json': rp('Unnamed rules', ['urn:unnamed']),
    'relying-parties/unnamed/authorization.rules': `c:[Type == "urn:nothing"] => issue(Type = "urn:z", Value = "1");\n${PERMIT_ALL}`,
    'relying-parties/off/relying-party.json': rp('Off', ['urn:off'], { enabled: false }),
    'relying-parties/off/authorization.rules': PERMIT_ALL,
    'relying-parties/report/relying-party.json': rp('Report', ['urn:report'], { mode: 'reportOnly' }),
    'relying-parties/report/authorization.rules': PERMIT_NAMED,
    'relying-parties/report/additional-authentication.rules': REQUIRE_MFA,
  });
  t.teardown(done);
  const cases: { name: string; rp: string; claims?: Claim[]; expect: [string, string, string?] }[] = [
    { name: 'permit', rp: 'urn:deny-wins', expect: ['permit', 'permit_rule', 'Permit all'] },
    { name: 'a deny claim wins wherever it is', rp: 'urn:deny-wins', claims: [c('urn:x', '1')], expect: ['deny', 'deny_rule', 'Deny X'] },
    { name: 'MFA demanded and not done', rp: 'urn:mfa', expect: ['mfa_required', 'mfa_required', 'MFA for all'] },
    { name: 'MFA demanded and done', rp: 'urn:mfa', claims: [MFA_DONE], expect: ['permit', 'permit_rule', 'Permit all'] },
    { name: 'MFA demanded but authorization would still deny', rp: 'urn:mfa-then-deny', expect: ['deny', 'no_permit'] },
    { name: 'MFA demanded, permitted after it', rp: 'urn:mfa-then-deny', claims: [c('urn:y', '1')], expect: ['mfa_required', 'mfa_required', 'MFA for all'] },
    { name: 'authorization testing amr alone does not ask for MFA', rp: 'urn:amr-only', expect: ['deny', 'no_permit'] },
    { name: 'authorization testing amr, MFA done', rp: 'urn:amr-only', claims: [MFA_DONE], expect: ['permit', 'permit_rule', 'Permit after MFA'] },
    { name: 'an unnamed rule is named by file, index and line', rp: 'urn:unnamed', expect: ['permit', 'permit_rule', 'authorization.rules#2 (line 2)'] },
    { name: 'a disabled relying party denies', rp: 'urn:off', expect: ['deny', 'relying_party_disabled'] },
    { name: 'reportOnly answers permit', rp: 'urn:report', expect: ['permit', 'report_only', 'MFA for all'] },
  ];
  for (const k of cases) {
    const d = await engine.decide({ relyingParty: k.rp, ...(k.claims ? { claims: k.claims } : {}) });
    t.same([d.decision, d.reason.code, ...(k.expect[2] !== undefined ? [d.reason.rule] : [])], k.expect, k.name);
    t.equal(d.trace, undefined, `${k.name}: no trace unless asked`);
  }
  const report = await engine.decide({ relyingParty: 'urn:report' });
  t.same(report.enforcement, { mode: 'reportOnly', decision: 'mfa_required', reason: { code: 'mfa_required', rule: 'MFA for all', message: report.enforcement?.reason.message } });
});

t.test('farm-wide additional authentication rules are OR-ed with the relying party\'s', async (t) => {
  const { engine, done } = await engineFor({
    'farm.json': JSON.stringify({ additionalAuthenticationRules: 'global-mfa.rules' }),
    'global-mfa.rules': '@RuleName = "MFA outside"\nc:[Type == "http://schemas.microsoft.com/ws/2012/01/insidecorporatenetwork", Value == "false"] => issue(Type = "http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod", Value = "http://schemas.microsoft.com/claims/multipleauthn");\n',
    'relying-parties/a/relying-party.json': rp('A', ['urn:a']),
    'relying-parties/a/authorization.rules': PERMIT_ALL,
    'relying-parties/a/additional-authentication.rules': '@RuleName = "MFA for Y"\nc:[Type == "urn:y"] => issue(Type = "http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod", Value = "http://schemas.microsoft.com/claims/multipleauthn");\n',
  });
  t.teardown(done);
  const inside = c(R.insideCorporateNetwork, 'true');
  const outside = c(R.insideCorporateNetwork, 'false');
  const table: [Claim[], string, string?][] = [
    [[inside], 'permit'],
    [[outside], 'mfa_required', 'MFA outside'],
    [[inside, c('urn:y', '1')], 'mfa_required', 'MFA for Y'],
    [[outside, c('urn:y', '1'), MFA_DONE], 'permit'],
  ];
  for (const [claims, decision, rule] of table) {
    const d = await engine.decide({ relyingParty: 'urn:a', claims });
    t.equal(d.decision, decision, claims.map((x) => x.value).join(','));
    if (rule) t.equal(d.reason.rule, rule);
  }
});

t.test('issuance transform: only when asked, only when permitted, with the AD attribute store', async (t) => {
  const directory = await openFixtureDirectory();
  const engine = await createDecisionEngine({ rulesDir: RULES, directory, now, ownsDirectory: true });
  t.teardown(() => engine.close());
  const dan = user('dan');
  const withDevice = await engine.decide({
    relyingParty: 'https://claims.contoso.com/',
    device: { certificate: certificatePem('hybrid-compliant') },
    claims: userClaims(dan),
    includeIssuedClaims: true,
  });
  const issued = (withDevice.issuedClaims ?? []).map((x) => [x.type.split('/').pop(), x.value]);
  t.same(issued, [
    ['upn', dan.upn],
    ['identifier', device('hybrid-compliant').deviceId],
    ['role', 'CompliantDevice'],
    ['givenname', 'Dan'],
    ['CommonName', 'Dan Jump'],
  ]);
  const noDevice = await engine.decide({ relyingParty: 'https://claims.contoso.com/', claims: userClaims(dan), includeIssuedClaims: true });
  t.same(noDevice.issuedClaims?.filter((x) => x.type === R.role).map((x) => x.value), ['NoDevice']);
  t.equal((await engine.decide({ relyingParty: 'https://claims.contoso.com/', claims: userClaims(dan) })).issuedClaims, undefined, 'not asked');
  const denied = await engine.decide({ relyingParty: 'urn:contoso:payroll', claims: userClaims(dan), includeIssuedClaims: true });
  t.same([denied.decision, denied.issuedClaims], ['deny', []], 'nothing is issued on deny');
});

t.test('explain: the trace shows device, acceptance and authorization', async (t) => {
  const directory = await openFixtureDirectory();
  const engine = await createDecisionEngine({ rulesDir: RULES, directory, now, ownsDirectory: true });
  t.teardown(() => engine.close());
  const d = await engine.decide({ relyingParty: 'urn:contoso:payroll', device: { certificate: certificatePem('rejoined') }, claims: userClaims(user('bob')), explain: true });
  const trace = d.trace ?? [];
  t.same(trace.map((e) => [e.stage, e.rule, e.fired]), [
    ['device', 'device', true],
    ['acceptance', 'Pass through all claims', true],
    ['authorization', 'Deny members of Payroll Blocked', true],
    ['authorization', 'Permit compliant devices', true],
  ]);
  t.ok(trace[0]?.produced?.some((x) => x.type === D.isCompliant && x.value === 'true'));
  t.equal(trace[2]?.produced?.[0]?.type, 'http://schemas.microsoft.com/authorization/claims/deny');
  const acp = await engine.decide({ relyingParty: 'https://intranet.contoso.com/', explain: true });
  t.same(acp.trace?.filter((e) => e.stage === 'access_control_policy').map((e) => e.fired), [false, true]);
});

t.test('device claims come only from the directory', async (t) => {
  const directory = await openFixtureDirectory();
  const engine = await createDecisionEngine({ rulesDir: RULES, directory, now, ownsDirectory: true });
  t.teardown(() => engine.close());
  const forged = [c(D.isKnown, 'true'), c(D.isCompliant, 'true'), c(D.isManaged, 'true')];
  const d = await engine.decide({ relyingParty: 'urn:contoso:payroll', claims: [...userClaims(user('dan')), ...forged] });
  t.same([d.decision, d.reason.code], ['deny', 'no_permit']);
  t.equal((await engine.decide({ relyingParty: 'https://intranet.contoso.com/', claims: forged })).decision, 'mfa_required');
});

t.test('bad requests are coded errors naming the field', async (t) => {
  const directory = await openFixtureDirectory();
  const engine = await createDecisionEngine({ rulesDir: RULES, directory, now, ownsDirectory: true });
  t.teardown(() => engine.close());
  const cases: [string, unknown, { code: string; statusCode: number; field?: string }][] = [
    ['unknown relying party', { relyingParty: 'urn:nope' }, { code: 'DG_ERR_POLICY_UNKNOWN_RELYING_PARTY', statusCode: 404, field: 'relyingParty' }],
    ['identifiers are exact', { relyingParty: 'URN:CONTOSO:PAYROLL' }, { code: 'DG_ERR_POLICY_UNKNOWN_RELYING_PARTY', statusCode: 404 }],
    ['empty relying party', { relyingParty: '' }, { code: 'DG_ERR_POLICY_BAD_REQUEST', statusCode: 400, field: 'relyingParty' }],
    ['bad thumbprint', { relyingParty: 'urn:contoso:payroll', device: { thumbprint: 'xyz' } }, { code: 'DG_ERR_CERT_THUMBPRINT', statusCode: 400, field: 'device.thumbprint' }],
    ['bad device ID', { relyingParty: 'urn:contoso:payroll', device: { deviceId: 'not-a-guid' } }, { code: 'DG_ERR_CERT_DEVICE_ID', statusCode: 400, field: 'device.deviceId' }],
    ['bad certificate', { relyingParty: 'urn:contoso:payroll', device: { certificate: 'MIIB' } }, { code: 'DG_ERR_CERT_MALFORMED', statusCode: 400, field: 'device.certificate' }],
    ['two presentations', { relyingParty: 'urn:contoso:payroll', device: { thumbprint: 'A'.repeat(40), deviceId: device('stale').deviceId } }, { code: 'DG_ERR_POLICY_BAD_REQUEST', statusCode: 400, field: 'device' }],
    ['empty device', { relyingParty: 'urn:contoso:payroll', device: {} }, { code: 'DG_ERR_POLICY_BAD_REQUEST', statusCode: 400, field: 'device' }],
    ['non-string thumbprint', { relyingParty: 'urn:contoso:payroll', device: { thumbprint: 5 } }, { code: 'DG_ERR_POLICY_BAD_REQUEST', statusCode: 400, field: 'device.thumbprint' }],
  ];
  for (const [name, request, expected] of cases) {
    await t.rejects(engine.decide(request as never), expected, name);
  }
  await t.rejects(engine.describeDevice({ thumbprint: '12' }), { code: 'DG_ERR_CERT_THUMBPRINT', field: 'device.thumbprint' });
});

t.test('directory outage: directory_unavailable (deny), or 503 with onDirectoryError "error"', async (t) => {
  for (const onDirectoryError of ['deny', 'error'] as const) {
    const { engine, directory, done } = await engineFor(
      { 'farm.json': JSON.stringify({ onDirectoryError }), 'relying-parties/a/relying-party.json': rp('A', ['urn:a'], { accessControlPolicy: { name: 'Permit everyone and require MFA from unauthenticated devices' } }) },
      { cache: false },
    );
    await directory.close();
    const request = { relyingParty: 'urn:a', device: { thumbprint: device('hybrid-compliant').thumbprint } };
    if (onDirectoryError === 'deny') {
      const d = await engine.decide(request);
      t.same([d.device.status, d.device.source, d.decision], ['directory_unavailable', 'none', 'mfa_required'], 'never permitted as a known device');
      t.same((await engine.readiness()).ok, false);
    } else {
      await t.rejects(engine.decide(request), { code: 'DG_ERR_POLICY_DIRECTORY_UNAVAILABLE', statusCode: 503 });
    }
    await done();
  }
});

t.test('issuer trust: name-only fallback warns once; farm.json anchors are honoured', async (t) => {
  // The fixture LDIF without the certificates published on the DRS object.
  const text = readFileSync(LDIF, 'utf8').replace(/^msDS-(Cloud)?IssuerPublicCertificates::.*\n( .*\n)*/gm, '');
  t.notMatch(text, /IssuerPublicCertificates/);
  const warnings: string[] = [];
  const logger = { warn: (m: string) => warnings.push(m), info: () => undefined, error: () => undefined };
  const r = await tempRules({ 'farm.json': '{}', 'relying-parties/a/relying-party.json': rp('A', ['urn:a']), 'relying-parties/a/authorization.rules': PERMIT_ALL });
  t.teardown(r.done);
  const engine = await createDecisionEngine({ rulesDir: r.dir, directory: new LdifDirectory(text, 'no-issuers.ldif'), now, logger });
  t.teardown(() => engine.close());
  const status = async (slug: string) => (await engine.describeDevice({ certificate: certificatePem(slug) })).status;
  t.equal(await status('hybrid-compliant'), 'known', 'issuer CN=MS-Organization-Access accepted by name');
  t.equal(await status('foreign-issuer'), 'untrusted_certificate');
  t.equal(await status('expired-cert'), 'untrusted_certificate');
  t.equal(warnings.filter((w) => /checked by name only/.test(w)).length, 1, 'warned exactly once');

  // With the Fabrikam CA in farm.json (and the directory's MS-Organization-Access CA), both are trusted.
  await r.write({ 'farm.json': JSON.stringify({ trustedDeviceIssuers: [join(ROOT, 'fixtures/ca/fabrikam-device-ca.crt.pem')] }) });
  const withCa = await createDecisionEngine({ rulesDir: r.dir, directory: await openFixtureDirectory(), now, ownsDirectory: true });
  t.teardown(() => withCa.close());
  t.equal((await withCa.describeDevice({ certificate: certificatePem('foreign-issuer') })).status, 'known');
  t.equal((await withCa.describeDevice({ certificate: certificatePem('hybrid-compliant') })).status, 'known');
});

t.test('describeDevice, purgeCache and readiness', async (t) => {
  const directory = await openFixtureDirectory();
  const engine = await createDecisionEngine({ rulesDir: RULES, directory, now, ownsDirectory: true });
  t.teardown(() => engine.close());
  const hc = device('hybrid-compliant');
  const d = await engine.describeDevice({ thumbprint: hc.thumbprint }, { primarySid: user('dan').sid });
  t.equal(d.status, 'known');
  t.equal(d.record?.deviceId, hc.deviceId);
  t.ok(d.claims.some((x) => x.type === D.isRegisteredUser && x.value === 'true'));
  const disabled = await engine.describeDevice({ deviceId: device('disabled').deviceId });
  t.same([disabled.status, disabled.claims.length, disabled.record?.isEnabled], ['disabled', 0, false], 'a disabled device has its record but no claims');
  t.equal((await engine.describeDevice({ thumbprint: hc.thumbprint })).source, 'cache');
  t.equal(engine.purgeCache(hc.thumbprint.toLowerCase()), 1);
  t.equal((await engine.describeDevice({ thumbprint: hc.thumbprint })).source, 'directory');
  t.ok(engine.purgeCache() >= 2);
  const ready = await engine.readiness();
  t.same([ready.ok, ready.rules, ready.directory.backend], [true, true, 'ldif']);
  t.same(engine.relyingParties().find((x) => x.slug === 'intranet')?.accessControlPolicy, { name: 'Permit everyone and require MFA from unauthenticated devices' });
});
