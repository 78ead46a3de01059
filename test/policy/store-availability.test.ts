/**
 * Stores devicegate cannot serve never break a farm: the rules load with a warning on the relying party
 * that uses one; issuance rules are skipped with a note; decision rules make that relying party deny
 * (fail closed); every other relying party keeps deciding.
 */
import t from 'tap';
import { makeClaim } from '../../src/claims/index.js';
import { createDecisionEngine, importAdfsExport, loadRegistry } from '../../src/policy/index.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { device, now, openFixtureDirectory, PERMIT_ALL, RULES, rp, tempRules } from './helpers.js';

const PASSWORD_EXPIRY = `@RuleName = "Issue Password Expiry Claims"
c1:[Type == "http://schemas.microsoft.com/ws/2012/01/passwordexpirationtime"]
 => issue(store = "_PasswordExpiryStore", types = ("http://schemas.microsoft.com/ws/2012/01/passwordexpirationtime", "http://schemas.microsoft.com/ws/2012/01/passwordexpirationdays", "http://schemas.microsoft.com/ws/2012/01/passwordchangeurl"), query = "{0};", param = c1.Value);
`;
const UPN_PASS = `@RuleName = "Pass UPN"
c:[Type == "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"] => issue(claim = c);
`;
const SQL_AUTHZ = `@RuleName = "Entitled in SQL"
c:[Type == "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"]
 => add(store = "SQL Entitlements", types = ("urn:entitled"), query = "SELECT entitled FROM apps WHERE upn = {0}", param = c.Value);
@RuleName = "Permit entitled"
c:[Type == "urn:entitled", Value == "yes"] => issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");
`;
const OPAQUE_MFA = `@RuleName = "Session ID"
c:[Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid"]
 => add(store = "_OpaqueIdStore", types = ("urn:session"), query = "{0};{1};{2}", param = "ppid", param = c.Value, param = c.OriginalIssuer);
`;
const UPN = makeClaim({ type: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', value: 'alice@contoso.com' });

t.test('built-in and custom stores: warnings on their relying party, the rest decides', async (t) => {
  const r = await tempRules({
    'farm.json': '{}',
    'relying-parties/o365/relying-party.json': rp('O365', ['urn:o365']),
    'relying-parties/o365/authorization.rules': PERMIT_ALL,
    'relying-parties/o365/issuance.rules': UPN_PASS + PASSWORD_EXPIRY,
    'relying-parties/sql/relying-party.json': rp('SQL app', ['urn:sql']),
    'relying-parties/sql/authorization.rules': SQL_AUTHZ,
    'relying-parties/mfa/relying-party.json': rp('MFA app', ['urn:mfa']),
    'relying-parties/mfa/authorization.rules': PERMIT_ALL,
    'relying-parties/mfa/additional-authentication.rules': OPAQUE_MFA,
    'relying-parties/plain/relying-party.json': rp('Plain', ['urn:plain']),
    'relying-parties/plain/authorization.rules': PERMIT_ALL,
  });
  t.teardown(r.done);
  const reg = await loadRegistry(r.dir, { cwd: r.dir });
  const texts = reg.warnings.map((w) => w.text);
  t.equal(texts.length, 3, texts.join('\n'));
  t.match(texts.join('\n'), /o365\/issuance\.rules:5:\d+: warning DG_LANG_UNKNOWN_STORE: issuance transform rule "Issue Password Expiry Claims" calls AD FS built-in attribute store "_PasswordExpiryStore", which devicegate cannot serve; relying party "O365" skips this rule/);
  t.match(texts.join('\n'), /sql\/authorization\.rules:3:\d+: warning DG_LANG_UNKNOWN_STORE: .*"SQL Entitlements".*relying party "SQL app" denies every request/);
  t.match(texts.join('\n'), /mfa\/additional-authentication\.rules:3:\d+: warning .*_OpaqueIdStore.*relying party "MFA app" denies/);
  t.same(reg.unavailableStores, ['_PasswordExpiryStore']);

  const directory = await openFixtureDirectory();
  const warned: string[] = [];
  const engine = await createDecisionEngine({ rulesDir: r.dir, cwd: r.dir, directory, now, logger: { warn: (m: string) => warned.push(m), info: () => undefined, error: () => undefined } });
  t.teardown(async () => {
    await engine.close();
    await directory.close();
  });
  t.same(warned, texts, 'the engine logs the warnings at start');

  // Issuance: the store rule is skipped with a note; the rest of issuance and the decision are untouched.
  const expiry = makeClaim({ type: 'http://schemas.microsoft.com/ws/2012/01/passwordexpirationtime', value: '2026-12-31T00:00:00Z' });
  const o365 = await engine.decide({ relyingParty: 'urn:o365', claims: [UPN, expiry], includeIssuedClaims: true, explain: true });
  t.equal(o365.decision, 'permit');
  t.same(o365.issuedClaims?.map((c) => c.type), [UPN.type], 'the UPN rule issues; the password-expiry rule issues nothing');
  t.match(o365.notes, [/^skipped: issuance transform rule "Issue Password Expiry Claims" calls AD FS built-in attribute store "_PasswordExpiryStore"/]);
  t.match(o365.trace?.filter((e) => e.stage === 'issuance' && e.note?.startsWith('skipped')), [{ rule: 'Issue Password Expiry Claims', fired: false }]);
  const plainO365 = await engine.decide({ relyingParty: 'urn:o365', claims: [UPN, expiry] });
  t.same(Object.keys(plainO365).sort(), ['decision', 'device', 'policyRevision', 'reason', 'relyingParty'], 'no notes on a plain decision');

  // Decision stages: fail closed, with a reason that names the store.
  for (const [id, stage, store] of [['urn:sql', 'issuance authorization', 'custom attribute store "SQL Entitlements"'], ['urn:mfa', 'additional authentication', 'AD FS built-in attribute store "_OpaqueIdStore"']] as const) {
    const d = await engine.decide({ relyingParty: id, device: { thumbprint: device('hybrid-compliant').thumbprint }, claims: [UPN], explain: true });
    t.equal(d.decision, 'deny', id);
    t.equal(d.reason.code, 'attribute_store_unavailable');
    t.match(d.reason.message, new RegExp(`${stage} rule ".*" calls ${store.replace(/"/g, '"')}, which devicegate cannot serve.*fail closed`));
  }

  // Everyone else keeps deciding.
  t.equal((await engine.decide({ relyingParty: 'urn:plain', claims: [UPN] })).decision, 'permit');
});

t.test('acceptance rules calling an unavailable store block every relying party (they all depend on them)', async (t) => {
  const r = await tempRules({
    'farm.json': '{}',
    'claims-providers/active-directory.rules': `@RuleName = "Pass all"\nc:[] => issue(claim = c);\n${OPAQUE_MFA}`,
    'relying-parties/plain/relying-party.json': rp('Plain', ['urn:plain']),
    'relying-parties/plain/authorization.rules': PERMIT_ALL,
  });
  t.teardown(r.done);
  const directory = await openFixtureDirectory();
  const engine = await createDecisionEngine({ rulesDir: r.dir, cwd: r.dir, directory, now });
  t.teardown(async () => {
    await engine.close();
    await directory.close();
  });
  const d = await engine.decide({ relyingParty: 'urn:plain', claims: [UPN] });
  t.equal(d.decision, 'deny');
  t.match(d.reason.message, /acceptance transform rule "Session ID" calls AD FS built-in attribute store "_OpaqueIdStore"/);
});

t.test('farm.json attributeStores [] switches the Active Directory store off: its rules become gaps too', async (t) => {
  const r = await tempRules({
    'farm.json': '{"attributeStores": []}',
    'relying-parties/a/relying-party.json': rp('A', ['urn:a']),
    'relying-parties/a/authorization.rules': `c:[Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname"]\n => add(store = "Active Directory", types = ("urn:x"), query = ";mail;{0}", param = c.Value);\n${PERMIT_ALL}`,
  });
  t.teardown(r.done);
  const reg = await loadRegistry(r.dir, { cwd: r.dir });
  t.match(reg.relyingParties[0]?.storeGaps?.blocked, { code: 'attribute_store_unavailable', stage: 'authorization' });
});

t.test('the sample rules/: office365 uses _PasswordExpiryStore in issuance and still decides; the others are unaffected', async (t) => {
  const reg = await loadRegistry(RULES);
  t.equal(reg.warnings.length, 1);
  t.match(reg.warnings[0]?.text, /office365\/issuance\.rules:\d+:\d+: warning DG_LANG_UNKNOWN_STORE/);
  for (const rp of reg.relyingParties) t.equal(rp.storeGaps?.blocked, undefined, `${rp.summary.slug} is not blocked`);
});

t.test('import keeps trusts whose rules call stores devicegate cannot serve, and reports the warning', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dg-import-stores-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const trusts = [
    { Name: 'Office 365', Identifier: ['urn:federation:MicrosoftOnline'], Enabled: true, AccessControlPolicyName: 'Permit everyone', IssuanceTransformRules: UPN_PASS + PASSWORD_EXPIRY },
    { Name: 'SQL app', Identifier: ['urn:sql'], Enabled: true, IssuanceAuthorizationRules: SQL_AUTHZ },
  ];
  await writeFile(join(dir, 'export.json'), JSON.stringify(trusts));
  const report = await importAdfsExport(join(dir, 'export.json'), { outDir: join(dir, 'rules') });
  t.same(report.skipped, []);
  t.same(report.imported.map((i) => i.name), ['Office 365', 'SQL app']);
  t.match(report.imported[0]?.warnings, [/^trust "Office 365": relying-parties\/office-365\/issuance\.rules:5:\d+: warning DG_LANG_UNKNOWN_STORE: .*"_PasswordExpiryStore".*skips this rule/]);
  t.match(report.imported[1]?.warnings, [/^trust "SQL app": relying-parties\/sql-app\/authorization\.rules:3:\d+: warning DG_LANG_UNKNOWN_STORE: .*"SQL Entitlements".*denies every request/]);
  await writeFile(join(dir, 'rules/farm.json'), '{}');
  const reg = await loadRegistry(join(dir, 'rules'));
  t.equal(reg.relyingParties.length, 2, 'the imported tree loads');
});
