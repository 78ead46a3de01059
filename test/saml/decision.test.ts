// samlToken end to end: POST /v1/decisions (inject) and `devicegate decide --saml`, over the real
// engine, the LDIF fixture directory and a temp copy of rules/ whose farm.json trusts the test AD FS
// token-signing certificate.
import t from 'tap';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLdifDirectory } from '../../src/directory/index.js';
import { createDecisionEngine, loadRegistry } from '../../src/policy/index.js';
import { assertionXml, signXml } from '../../scripts/fixtures/saml-sign.js';
import { userAssertion } from '../../scripts/fixtures/saml-tokens.js';
import { DECIDE, errorShape, fixtureApp, LDIF, RULES } from '../server/fixture-app.js';
import { runCapture } from '../cli/run-cli.js';
import { ADFS, NOW, PAYROLL, SAML_DIR, SID, token, tokenXml } from './saml-fixtures.js';

const ADFS_ISSUER = 'http://adfs.contoso.com/adfs/services/trust';
/** farm.json's samlTrustedSigners: the test AD FS certificate, bound to its Issuer. */
const SIGNERS = [{ certificate: 'certs/adfs-token-signing.pem', issuers: [ADFS_ISSUER] }];

const COMPLIANT = '0058DF301BC35E03A80EC24DB632FACF52D05041'; // hybrid-compliant, owner dan
const ALICES = '83E12E786D499477855E07069054C9F5500CFABF'; // entra-compliant, owner alice
const GROUPSID = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid';
const ISCOMPLIANT = 'http://schemas.microsoft.com/2014/09/devicecontext/claims/iscompliant';

function rulesWithSigners(t: { teardown(fn: () => unknown): void }, farmExtra: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dg-saml-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rules = join(dir, 'rules');
  cpSync(RULES, rules, { recursive: true });
  cpSync(join(SAML_DIR, 'adfs-signing.crt.pem'), join(rules, 'certs/adfs-token-signing.pem'));
  const farm = JSON.parse(readFileSync(join(rules, 'farm.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(rules, 'farm.json'), JSON.stringify({ ...farm, ...farmExtra }));
  return rules;
}

async function app(t: { teardown(fn: () => unknown): void }, farmExtra: Record<string, unknown> = {}) {
  const rulesDir = rulesWithSigners(t, { samlTrustedSigners: SIGNERS, ...farmExtra });
  const directory = await openLdifDirectory(LDIF);
  t.teardown(() => directory.close());
  const engine = await createDecisionEngine({ rulesDir, directory, now: () => NOW });
  return { ...(await fixtureApp(t, { engine })), rulesDir };
}

interface Case {
  readonly name: string;
  readonly body: Record<string, unknown>;
  readonly status: number;
  readonly decision?: string;
  readonly reason?: string;
  readonly code?: string;
  readonly field?: string;
}

const deviceClaimToken = (): string =>
  Buffer.from(signXml(assertionXml(userAssertion('asserts-compliance', 'alice', { attributes: [{ name: ISCOMPLIANT, values: ['true'] }] })), ADFS)).toString('base64');

const CASES: readonly Case[] = [
  { name: 'alice on a compliant device: permit', body: { relyingParty: PAYROLL, device: { thumbprint: COMPLIANT }, samlToken: token('alice-assertion') }, status: 200, decision: 'permit' },
  { name: 'same, token in a Response', body: { relyingParty: PAYROLL, device: { thumbprint: COMPLIANT }, samlToken: token('alice-response') }, status: 200, decision: 'permit' },
  { name: 'same, by the other identifier of payroll', body: { relyingParty: 'urn:contoso:payroll', device: { thumbprint: COMPLIANT }, samlToken: token('alice-assertion') }, status: 200, decision: 'permit' },
  {
    name: "bob's token (Payroll Blocked groupsid) on a compliant device: deny",
    body: { relyingParty: PAYROLL, device: { thumbprint: COMPLIANT }, samlToken: token('bob-assertion') },
    status: 200,
    decision: 'deny',
    reason: 'deny_rule',
  },
  {
    name: 'caller claims beside a token are refused (they could pass for the token\'s)',
    body: { relyingParty: PAYROLL, device: { thumbprint: COMPLIANT }, samlToken: token('alice-assertion'), claims: [{ type: GROUPSID, value: SID(1201) }] },
    status: 400,
    code: 'DG_ERR_SAML_WITH_CLAIMS',
    field: 'claims',
  },
  {
    name: 'issuer spoofing beside a token: an unsigned claim with Issuer AD AUTHORITY is refused',
    body: { relyingParty: PAYROLL, device: { thumbprint: COMPLIANT }, samlToken: token('bob-assertion'), claims: [{ type: GROUPSID, value: SID(513), issuer: 'AD AUTHORITY' }] },
    status: 400,
    code: 'DG_ERR_SAML_WITH_CLAIMS',
    field: 'claims',
  },
  { name: 'double-signed (MessageAndAssertion) token', body: { relyingParty: PAYROLL, device: { thumbprint: COMPLIANT }, samlToken: token('alice-double-signed') }, status: 200, decision: 'permit' },
  { name: 'ADFSpoof: trusted key, wrong Issuer', body: { relyingParty: PAYROLL, device: { thumbprint: COMPLIANT }, samlToken: token('wrong-issuer') }, status: 400, code: 'DG_ERR_SAML_ISSUER_NOT_ALLOWED' },
  {
    name: 'bearer SubjectConfirmationData expired',
    body: { relyingParty: PAYROLL, device: { thumbprint: COMPLIANT }, samlToken: token('subject-confirmation-expired') },
    status: 400,
    code: 'DG_ERR_SAML_SUBJECT_CONFIRMATION',
  },
  { name: 'alice without a device: deny', body: { relyingParty: PAYROLL, samlToken: token('alice-assertion') }, status: 200, decision: 'deny' },
  { name: 'a token cannot assert device compliance', body: { relyingParty: PAYROLL, samlToken: deviceClaimToken() }, status: 200, decision: 'deny' },
  { name: 'expired token', body: { relyingParty: PAYROLL, device: { thumbprint: COMPLIANT }, samlToken: token('expired') }, status: 400, code: 'DG_ERR_SAML_EXPIRED' },
  { name: 'payroll token for the intranet', body: { relyingParty: 'https://intranet.contoso.com/', samlToken: token('alice-assertion') }, status: 400, code: 'DG_ERR_SAML_AUDIENCE_MISMATCH' },
  { name: 'tampered token', body: { relyingParty: PAYROLL, device: { thumbprint: COMPLIANT }, samlToken: token('tampered-value') }, status: 400, code: 'DG_ERR_SAML_BAD_SIGNATURE' },
  { name: 'rogue signer', body: { relyingParty: PAYROLL, device: { thumbprint: COMPLIANT }, samlToken: token('other-signer') }, status: 400, code: 'DG_ERR_SAML_UNTRUSTED_SIGNER' },
  { name: 'wrapping attack', body: { relyingParty: PAYROLL, device: { thumbprint: COMPLIANT }, samlToken: token('wrapping-sibling') }, status: 400, code: 'DG_ERR_SAML_UNSUPPORTED' },
  { name: 'garbage', body: { relyingParty: PAYROLL, samlToken: '!!!' }, status: 400, code: 'DG_ERR_SAML_MALFORMED' },
  { name: 'unknown relying party still 404', body: { relyingParty: 'https://nobody.example/', samlToken: token('alice-assertion') }, status: 404 },
];

t.test('POST /v1/decisions with samlToken', async (t) => {
  for (const c of CASES) {
    // A fresh service per case: each assertion is accepted once per service (replay cache).
    const { app: server } = await app(t);
    const res = await server.inject({ method: 'POST', url: '/v1/decisions', headers: DECIDE, payload: c.body });
    t.equal(res.statusCode, c.status, `${c.name}: status`);
    const body = res.json() as Record<string, unknown>;
    if (c.decision !== undefined) t.equal(body['decision'], c.decision, `${c.name}: decision`);
    if (c.reason !== undefined) t.equal((body['reason'] as { code: string }).code, c.reason, `${c.name}: reason`);
    if (c.code !== undefined) t.match(errorShape(body), { code: c.code, field: c.field ?? 'samlToken' }, `${c.name}: error`);
  }
});

t.test("the token's primarysid makes alice a registered user of her own device", async (t) => {
  const { engine } = await app(t);
  const d = await engine.decide({ relyingParty: PAYROLL, device: { thumbprint: ALICES }, samlToken: token('alice-assertion'), explain: true });
  const device = d.trace?.find((e) => e.stage === 'device');
  const registered = device?.produced?.find((c) => c.type === 'http://schemas.microsoft.com/2012/01/devicecontext/claims/isregistereduser');
  t.equal(registered?.value, 'true');
  t.equal(d.decision, 'permit');
});

t.test('without samlTrustedSigners in farm.json a samlToken is refused', async (t) => {
  const { app: server } = await fixtureApp(t);
  const res = await server.inject({ method: 'POST', url: '/v1/decisions', headers: DECIDE, payload: { relyingParty: PAYROLL, samlToken: token('alice-assertion') } });
  t.equal(res.statusCode, 400);
  t.match(errorShape(res.json()), { code: 'DG_ERR_SAML_NO_TRUSTED_SIGNERS', field: 'samlToken', message: /no trusted SAML signers configured/ });
});

t.test('farm.json samlTrustedSigners problems fail the load with the file named', async (t) => {
  const missing = rulesWithSigners(t, { samlTrustedSigners: [{ certificate: 'certs/nope.pem', issuers: [ADFS_ISSUER] }] });
  await t.rejects(loadRegistry(missing), { code: 'DG_ERR_POLICY_LOAD', diagnostics: [/farm\.json:\d+:\d+: error: samlTrustedSigners file .*certs\/nope\.pem not found/] });
  const bad = rulesWithSigners(t, { samlTrustedSigners: [{ certificate: 'farm.json', issuers: [ADFS_ISSUER] }] });
  await t.rejects(loadRegistry(bad), { code: 'DG_ERR_POLICY_LOAD', diagnostics: [/samlTrustedSigners: .*farm\.json: not an X\.509 certificate/] });
  const wrongType = rulesWithSigners(t, { samlTrustedSigners: 'certs/adfs-token-signing.pem' });
  await t.rejects(loadRegistry(wrongType), { code: 'DG_ERR_POLICY_LOAD', diagnostics: [/"samlTrustedSigners" must be an array of \{ "certificate"/] });
  // The old form (a bare path) would trust the key for any Issuer: a load error that shows the new form.
  const bare = rulesWithSigners(t, { samlTrustedSigners: ['certs/adfs-token-signing.pem'] });
  await t.rejects(loadRegistry(bare), {
    code: 'DG_ERR_POLICY_LOAD',
    diagnostics: [/"samlTrustedSigners\[0\]" is a bare certificate path; each signer must name the Issuer\(s\) it may sign for: \{ "certificate": "certs\/adfs-token-signing\.pem", "issuers"/],
  });
  const noIssuers = rulesWithSigners(t, { samlTrustedSigners: [{ certificate: 'certs/adfs-token-signing.pem', issuers: [] }] });
  await t.rejects(loadRegistry(noIssuers), { code: 'DG_ERR_POLICY_LOAD', diagnostics: [/"samlTrustedSigners\[0\]\.issuers" must be a non-empty array/] });
  const ok = await loadRegistry(rulesWithSigners(t, { samlTrustedSigners: SIGNERS }));
  t.equal(ok.samlTrustedSigners?.length, 1);
  t.same(ok.samlTrustedSigners?.[0]?.issuers, [ADFS_ISSUER]);
});

t.test('one-time use: a replayed assertion is refused; what-if decisions with an explicit time are exempt', async (t) => {
  const { app: server, engine } = await app(t);
  const body = { relyingParty: PAYROLL, device: { thumbprint: COMPLIANT }, samlToken: token('alice-assertion') };
  const badDevice = await server.inject({ method: 'POST', url: '/v1/decisions', headers: DECIDE, payload: { ...body, device: { deviceId: 'not-a-guid' } } });
  t.equal(badDevice.statusCode, 400, 'bad input beside the token ...');
  const first = await server.inject({ method: 'POST', url: '/v1/decisions', headers: DECIDE, payload: body });
  t.equal(first.json().decision, 'permit', '... did not use the assertion up');
  const again = await server.inject({ method: 'POST', url: '/v1/decisions', headers: DECIDE, payload: body });
  t.equal(again.statusCode, 400);
  t.match(errorShape(again.json()), { code: 'DG_ERR_SAML_REPLAYED', field: 'samlToken', message: /already used/ });
  // The same assertion inside a <Response> is the same assertion.
  const wrapped = await server.inject({ method: 'POST', url: '/v1/decisions', headers: DECIDE, payload: { ...body, samlToken: token('alice-response') } });
  t.match(errorShape(wrapped.json()), { code: 'DG_ERR_SAML_REPLAYED' });
  // A refused token is not marked used.
  await t.rejects(engine.decide({ relyingParty: 'https://intranet.contoso.com/', samlToken: token('bob-assertion') }), { code: 'DG_ERR_SAML_AUDIENCE_MISMATCH' });
  t.equal((await engine.decide({ relyingParty: PAYROLL, samlToken: token('bob-assertion') })).decision, 'deny');
  // What-if (explicit time): as often as asked.
  for (let i = 0; i < 2; i++) t.equal((await engine.decide({ ...body, at: NOW })).decision, 'permit', `what-if ${i + 1}`);
});

t.test('farm.json samlRecipients: the bearer Recipient must be devicegate', async (t) => {
  const { engine } = await app(t, { samlRecipients: ['https://devicegate.contoso.com/v1/decisions'] });
  t.equal((await engine.decide({ relyingParty: PAYROLL, device: { thumbprint: COMPLIANT }, samlToken: token('alice-recipient') })).decision, 'permit');
  await t.rejects(engine.decide({ relyingParty: PAYROLL, device: { thumbprint: COMPLIANT }, samlToken: token('bob-assertion') }), {
    code: 'DG_ERR_SAML_SUBJECT_CONFIRMATION',
    message: /names no Recipient/,
  });
});

t.test('devicegate decide --saml', async (t) => {
  const rulesDir = rulesWithSigners(t, { samlTrustedSigners: SIGNERS });
  const file = join(rulesDir, '..', 'alice.xml');
  writeFileSync(file, tokenXml('alice-assertion'));
  const b64 = join(rulesDir, '..', 'bob.b64');
  writeFileSync(b64, `${token('bob-assertion')}\n`);
  const expired = join(rulesDir, '..', 'expired.b64');
  writeFileSync(expired, token('expired'));
  const base = ['decide', '--rp', PAYROLL, '--thumbprint', COMPLIANT, '--rules', rulesDir, '--directory', `ldif:${LDIF}`, '--at', NOW.toISOString()];

  const alice = await runCapture([...base, '--saml', file, '--json']);
  t.equal(alice.code, 0, alice.err);
  t.equal((JSON.parse(alice.out) as { decision: string }).decision, 'permit');
  const bob = await runCapture([...base, '--saml', b64]);
  t.equal(bob.code, 0, bob.err);
  t.match(bob.out, /decision:\s+deny/);
  const old = await runCapture([...base, '--saml', expired]);
  t.equal(old.code, 1);
  t.match(old.err, /samlToken expired at 2020-01-02T00:00:00.000Z/);
  const spoofed = join(rulesDir, '..', 'spoofed.b64');
  writeFileSync(spoofed, token('wrong-issuer'));
  const spoof = await runCapture([...base, '--saml', spoofed]);
  t.equal(spoof.code, 1);
  t.match(spoof.err, /DG_ERR_SAML_ISSUER_NOT_ALLOWED|is not one that its signer/);
  const unconfirmed = join(rulesDir, '..', 'unconfirmed.b64');
  writeFileSync(unconfirmed, token('subject-confirmation-expired'));
  const late = await runCapture([...base, '--saml', unconfirmed]);
  t.equal(late.code, 1);
  t.match(late.err, /subject cannot be confirmed: its bearer SubjectConfirmationData expired at 2025-01-01T01:00:00\.000Z/);
  const double = join(rulesDir, '..', 'double.b64');
  writeFileSync(double, token('alice-double-signed'));
  const twice = await runCapture([...base, '--saml', double, '--json']);
  t.equal(twice.code, 0, twice.err);
  t.equal((JSON.parse(twice.out) as { decision: string }).decision, 'permit');
  const mixed = await runCapture([...base, '--saml', file, '--claim', `${GROUPSID}=${SID(513)}`]);
  t.equal(mixed.code, 1);
  t.match(mixed.err, /samlToken and claims cannot be combined/);
  const none = await runCapture([...base, '--saml', join(rulesDir, 'missing.xml')]);
  t.equal(none.code, 1);
  t.match(none.err, /--saml .*missing\.xml: cannot read/);

  const batch = join(rulesDir, '..', 'batch.jsonl');
  writeFileSync(
    batch,
    [
      { relyingParty: PAYROLL, device: { thumbprint: COMPLIANT }, samlToken: token('alice-assertion') },
      { relyingParty: PAYROLL, device: { thumbprint: COMPLIANT }, samlToken: token('tampered-value') },
      { relyingParty: PAYROLL, samlToken: 7 },
      { relyingParty: PAYROLL, device: { thumbprint: COMPLIANT }, samlToken: token('alice-assertion') },
    ]
      .map((o) => JSON.stringify(o))
      .join('\n'),
  );
  const out = await runCapture(['decide', '--batch', batch, '--rules', rulesDir, '--directory', `ldif:${LDIF}`]);
  t.equal(out.code, 1, 'a batch with failed lines exits 1');
  t.match(out.err, /4 lines: permit 1; 3 failed/);
  const lines = out.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, { code?: string }> & { decision?: string });
  t.equal(lines[0]!.decision, 'permit');
  t.equal(lines[1]!['error']!.code, 'DG_ERR_SAML_BAD_SIGNATURE');
  t.equal(lines[2]!['error']!.code, 'DG_ERR_CLI_INVALID_INPUT');
  t.equal(lines[3]!['error']!.code, 'DG_ERR_SAML_REPLAYED', 'a batch without --at is enforcement: one use per assertion');
});
