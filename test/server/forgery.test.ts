// Issue 7 forgeries and fail-open paths, end to end: POST /v1/decisions (inject), the AuthZEN
// evaluation routes and `devicegate decide`, over the real engine, the LDIF fixture directory and
// rules/ plus the forgery relying parties of test/policy/forgery-rules.ts.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUTHORIZATION_CLAIM_TYPES, DEVICE_CLAIM_TYPES, REQUEST_CLAIM_TYPES as R } from '../../src/claims/index.js';
import { openLdifDirectory } from '../../src/directory/index.js';
import { createDecisionEngine, loadRegistry } from '../../src/policy/index.js';
import { runCapture } from '../cli/run-cli.js';
import { forgeryRules } from '../policy/forgery-rules.js';
import { DECIDE, fixtureApp, LDIF, ROOT } from './fixture-app.js';

const NOW = new Date('2026-11-20T12:00:00Z');
const PAYROLL = 'https://payroll.contoso.com/';
const ALICE_UPN = 'alice@contoso.com';
const devices = JSON.parse(readFileSync(join(ROOT, 'fixtures/devices.json'), 'utf8')) as { devices: { slug: string; thumbprint: string; deviceId: string; certificate: string }[] };
const fixtureDevice = (slug: string) => devices.devices.find((d) => d.slug === slug)!;

/** Spellings of device-context and authorization types a caller might try. */
const FORGED: readonly [name: string, type: string][] = [
  ['iscompliant with U+017F', 'http://schemas.microsoft.com/2014/09/devicecontext/claims/i\u017Fcompliant'],
  ['iscompliant with dotless i', 'http://schemas.microsoft.com/2014/09/devicecontext/claims/\u0131scompliant'],
  ['iscompliant, https', DEVICE_CLAIM_TYPES.isCompliant.replace('http:', 'https:')],
  ['iscompliant, upper case', DEVICE_CLAIM_TYPES.isCompliant.toUpperCase()],
  ['isknown with a Kelvin sign', 'http://schemas.microsoft.com/2014/02/devicecontext/claims/is\u212Anown'],
  ['permit', AUTHORIZATION_CLAIM_TYPES.permit],
  ['permit, https with U+017F', AUTHORIZATION_CLAIM_TYPES.permit.replace('http:', 'http\u017F:')],
];
const FORGED_PARTIES = [PAYROLL, 'urn:test:https-rule', 'urn:test:any-device-claim', 'urn:test:forwards-permit'];

async function app(t: Parameters<typeof fixtureApp>[0], farmExtra: Record<string, unknown> = {}, engineExtra: { attributeStoreSizeLimit?: number } = {}) {
  const rulesDir = forgeryRules(t, farmExtra);
  const directory = await openLdifDirectory(LDIF);
  t.teardown(() => directory.close());
  const engine = await createDecisionEngine({ rulesDir, directory, now: () => NOW, ...engineExtra });
  return { ...(await fixtureApp(t, { engine })), rulesDir };
}

const post = (server: Awaited<ReturnType<typeof app>>['app'], url: string, payload: object) => server.inject({ method: 'POST', url, headers: DECIDE, payload: payload as Record<string, unknown> });

t.test('HTTP and AuthZEN: forged device and authorization claims never permit', async (t) => {
  const { app: server } = await app(t);
  for (const rp of FORGED_PARTIES) {
    for (const [name, type] of FORGED) {
      const claims = [{ type: R.upn, value: ALICE_UPN }, { type, value: 'true', issuer: 'LOCAL AUTHORITY' }];
      const res = await post(server, '/v1/decisions', { relyingParty: rp, claims });
      t.equal(res.statusCode, 200);
      const body = res.json() as { decision: string; device: Record<string, unknown> };
      t.equal(body.decision, 'deny', `${rp}, ${name}: /v1/decisions`);
      t.same(body.device, { status: 'not_presented', source: 'none' }, 'no device, no proof');
      const z = await post(server, '/access/v1/evaluation', {
        subject: { type: 'user', id: ALICE_UPN, properties: { claims: [{ type, value: 'true' }] } },
        resource: { type: 'relying_party', id: rp },
        action: { name: 'access' },
        context: { claims: [{ type, value: 'true' }] },
      });
      t.equal(z.json().decision, false, `${rp}, ${name}: AuthZEN`);
    }
  }
});

t.test('device.proof in /v1/decisions and AuthZEN', async (t) => {
  const { app: server } = await app(t);
  const byThumbprint = await post(server, '/v1/decisions', { relyingParty: PAYROLL, device: { thumbprint: fixtureDevice('hybrid-compliant').thumbprint } });
  t.match(byThumbprint.json(), { decision: 'permit', device: { status: 'known', proof: 'identifier' } });
  const byId = await post(server, '/v1/decisions', { relyingParty: PAYROLL, device: { deviceId: fixtureDevice('hybrid-compliant').deviceId } });
  t.match(byId.json(), { device: { status: 'known', proof: 'identifier' } });
  const pem = readFileSync(join(ROOT, fixtureDevice('hybrid-compliant').certificate), 'utf8');
  const byCert = await post(server, '/v1/decisions', { relyingParty: PAYROLL, device: { certificate: pem } });
  t.match(byCert.json(), { decision: 'permit', device: { status: 'known', proof: 'certificate' } });
  const z = await post(server, '/access/v1/evaluation', {
    subject: { type: 'user', id: ALICE_UPN },
    resource: { type: 'relying_party', id: PAYROLL },
    action: { name: 'access' },
    context: { device: { thumbprint: fixtureDevice('hybrid-compliant').thumbprint } },
  });
  t.match(z.json(), { decision: true, context: { device: { status: 'known', proof: 'identifier' } } });
});

t.test('farm.json identifierPresentations "untrusted": identifiers are not authenticated devices', async (t) => {
  const { app: server } = await app(t, { identifierPresentations: 'untrusted' });
  for (const device of [{ thumbprint: fixtureDevice('hybrid-compliant').thumbprint }, { deviceId: fixtureDevice('hybrid-compliant').deviceId }]) {
    const res = await post(server, '/v1/decisions', { relyingParty: PAYROLL, device });
    t.same(res.json().device, { status: 'untrusted_identifier', source: 'none', proof: 'identifier' });
    t.equal(res.json().decision, 'deny');
  }
  const intranet = await post(server, '/v1/decisions', { relyingParty: 'https://intranet.contoso.com/', device: { thumbprint: fixtureDevice('hybrid-compliant').thumbprint } });
  t.equal(intranet.json().decision, 'mfa_required', 'an identifier-only device is an unauthenticated device');
  const pem = readFileSync(join(ROOT, fixtureDevice('hybrid-compliant').certificate), 'utf8');
  t.match((await post(server, '/v1/decisions', { relyingParty: PAYROLL, device: { certificate: pem } })).json(), { decision: 'permit', device: { status: 'known', proof: 'certificate' } });
  const bad = await post(server, '/v1/decisions', { relyingParty: PAYROLL, device: { thumbprint: 'xyz' } });
  t.equal(bad.statusCode, 400, 'a malformed identifier is still bad input');
  // The device look-up route is a look-up, not an authentication: unaffected.
  const lookup = await server.inject({ method: 'GET', url: `/v1/devices/${fixtureDevice('hybrid-compliant').thumbprint}`, headers: DECIDE });
  t.equal(lookup.json().status, 'known');
});

t.test('a dynamic regex that does not compile denies with rule_error (never a 5xx), counted in /metrics', async (t) => {
  const { app: server } = await app(t);
  const claims = (pattern: string) => [
    { type: R.upn, value: ALICE_UPN },
    { type: 'urn:test:blockedpattern', value: pattern },
  ];
  const broken = await post(server, '/v1/decisions', { relyingParty: 'urn:test:dynamic-regex', claims: claims('(unclosed') });
  t.equal(broken.statusCode, 200);
  t.match(broken.json(), { decision: 'deny', reason: { code: 'rule_error', rule: /Deny blocked UPN pattern|authorization\.rules/, message: /DG_ERR_LANGUAGE_REGEX.*fail closed/ } });
  const explained = await post(server, '/v1/decisions', { relyingParty: 'urn:test:dynamic-regex', claims: claims('(unclosed'), explain: true });
  t.match(explained.json(), { decision: 'deny', reason: { code: 'rule_error' } });
  t.ok((explained.json().trace as { note?: string }[]).some((e) => /evaluation failed: DG_ERR_LANGUAGE_REGEX/.test(e.note ?? '')), 'the trace says where');
  t.match((await post(server, '/v1/decisions', { relyingParty: 'urn:test:dynamic-regex', claims: claims('^alice@') })).json(), { decision: 'deny', reason: { code: 'deny_rule' } });
  t.match((await post(server, '/v1/decisions', { relyingParty: 'urn:test:dynamic-regex', claims: claims('^bob@') })).json(), { decision: 'permit' });
  const z = await post(server, '/access/v1/evaluation', {
    subject: { type: 'user', id: ALICE_UPN },
    resource: { type: 'relying_party', id: 'urn:test:dynamic-regex' },
    action: { name: 'access' },
    context: { claims: [{ type: 'urn:test:blockedpattern', value: '[' }] },
  });
  t.match(z.json(), { decision: false, context: { reason_admin: { code: 'rule_error' } } });
  const metrics = (await server.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(metrics, /devicegate_fail_closed_decisions_total\{reason="rule_error"\} 3\b/);
});

t.test('an attribute store answer past its size limit denies with attribute_store_error (was: empty table, permit)', async (t) => {
  const windows = [{ type: R.windowsAccountName, value: 'CONTOSO\\alice' }];
  const limited = await app(t, {}, { attributeStoreSizeLimit: 3 });
  const res = await post(limited.app, '/v1/decisions', { relyingParty: 'urn:test:ad-store-deny', claims: windows });
  t.equal(res.statusCode, 200);
  t.match(res.json(), { decision: 'deny', reason: { code: 'attribute_store_error', message: /DG_ERR_LANGUAGE_STORE_FAILED.*fail closed/ } });
  t.match((await limited.app.inject({ method: 'GET', url: '/metrics' })).body, /devicegate_fail_closed_decisions_total\{reason="attribute_store_error"\} 1\b/);
  const full = await app(t);
  t.match((await post(full.app, '/v1/decisions', { relyingParty: 'urn:test:ad-store-deny', claims: windows })).json(), { decision: 'deny', reason: { code: 'deny_rule' } }, 'within the limit the deny rule fires');
});

t.test('devicegate decide: forged claims, device proof, rule errors', async (t) => {
  const rulesDir = forgeryRules(t);
  const base = ['--rules', rulesDir, '--directory', `ldif:${LDIF}`, '--at', NOW.toISOString()];
  for (const [name, type] of FORGED) {
    const out = await runCapture(['decide', '--rp', PAYROLL, '--claim', `${type}=true`, '--json', ...base]);
    t.equal(out.code, 0, out.err);
    t.match(JSON.parse(out.out), { decision: 'deny', device: { status: 'not_presented' } }, `CLI: ${name}`);
  }
  const thumb = await runCapture(['decide', '--rp', PAYROLL, '--thumbprint', fixtureDevice('hybrid-compliant').thumbprint, ...base]);
  t.match(thumb.out, /^device:\s+known .*\(source directory, proof identifier\)$/m);
  const cert = await runCapture(['decide', '--rp', PAYROLL, '--cert', join(ROOT, fixtureDevice('hybrid-compliant').certificate), '--json', ...base]);
  t.match(JSON.parse(cert.out), { device: { proof: 'certificate' } });
  const regex = await runCapture(['decide', '--rp', 'urn:test:dynamic-regex', '--claim', `${R.upn}=${ALICE_UPN}`, '--claim', 'urn:test:blockedpattern=(', ...base]);
  t.equal(regex.code, 0, regex.err);
  t.match(regex.out, /^decision:\s+deny$/m);
  t.match(regex.out, /^reason:\s+rule_error: /m);
  const untrusted = forgeryRules(t, { identifierPresentations: 'untrusted' });
  const u = await runCapture(['decide', '--rp', PAYROLL, '--thumbprint', fixtureDevice('hybrid-compliant').thumbprint, '--json', '--rules', untrusted, '--directory', `ldif:${LDIF}`]);
  t.match(JSON.parse(u.out), { decision: 'deny', device: { status: 'untrusted_identifier', proof: 'identifier' } });
});

t.test('farm.json identifierPresentations must be trusted or untrusted', async (t) => {
  await t.rejects(loadRegistry(forgeryRules(t, { identifierPresentations: 'maybe' })), {
    code: 'DG_ERR_POLICY_LOAD',
    diagnostics: [/farm\.json:\d+:\d+: error: "identifierPresentations" must be "trusted" or "untrusted"/],
  });
  t.equal((await loadRegistry(forgeryRules(t))).farm.identifierPresentations, 'trusted', 'default: as before');
});
