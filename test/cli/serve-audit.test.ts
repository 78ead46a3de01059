/** The decision audit log, read from what a real `devicegate serve` process wrote. */
import t from 'tap';
import { mkdirSync, copyFileSync, readFileSync, writeFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tokenHashEntry } from '../../src/server/index.js';
import { ROOT, copyRules, startServe } from './serve-process.js';

const TOKEN = 'audit-test-token-0f1e2d3c4b5a';
const PASSWORD = 'Sup3r-Secret-LDAP-Pw';
const devices = JSON.parse(readFileSync(join(ROOT, 'fixtures/devices.json'), 'utf8')) as { devices: { slug: string; thumbprint: string; certificate: string }[] };
const COMPLIANT = devices.devices.find((d) => d.slug === 'hybrid-compliant')!;
const CERT_PEM = readFileSync(join(ROOT, COMPLIANT.certificate), 'utf8');
const saml = JSON.parse(readFileSync(join(ROOT, 'fixtures/saml/tokens.json'), 'utf8')) as { referenceTime: string; tokens: { name: string; base64: string }[] };
const SAML_TOKEN = saml.tokens.find((x) => x.name === 'alice-assertion')!.base64;
const CLAIM_SECRET = 'S-1-5-21-9-9-9-424242';

async function call(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    // Right after start on a busy machine, back-pressure may answer 503 + Retry-After: retry as a client should.
    if (res.status !== 503 || attempt >= 10) return res;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

t.test('serve writes one JSON line per decision to the audit file, with the caller name and never a secret', async (t) => {
  const rules = copyRules(t);
  mkdirSync(join(rules, 'certs'));
  copyFileSync(join(ROOT, 'fixtures/saml/adfs-signing.crt.pem'), join(rules, 'certs/adfs-signing.crt.pem'));
  const farm = JSON.parse(readFileSync(join(rules, 'farm.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(rules, 'farm.json'), JSON.stringify({ ...farm, samlTrustedSigners: [{ certificate: 'certs/adfs-signing.crt.pem', issuers: ['http://adfs.contoso.com/adfs/services/trust'] }] }));
  const dir = mkdtempSync(join(tmpdir(), 'dg-audit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'log', 'decisions.jsonl');

  const serve = await startServe(t, ['--rules', rules, '--audit-log', file, '--log-level', 'info'], {
    DEVICEGATE_API_TOKENS: tokenHashEntry(TOKEN, 'decide', 'adfs-farm'),
    DEVICEGATE_LDAP_PASSWORD: PASSWORD,
  });
  const claims = [{ type: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid', value: CLAIM_SECRET }];
  const responses = [
    await call(serve.base, '/v1/decisions', { relyingParty: 'https://payroll.contoso.com/', device: { thumbprint: COMPLIANT.thumbprint } }, { 'x-request-id': 'audit-req-1' }),
    await call(serve.base, '/v1/decisions', { relyingParty: 'urn:contoso:payroll', device: { certificate: CERT_PEM }, claims, explain: true }),
    await call(serve.base, '/v1/decisions', { relyingParty: 'https://payroll.contoso.com/', samlToken: SAML_TOKEN, simulate: true, at: saml.referenceTime }),
    await call(serve.base, '/access/v1/evaluation', { subject: { type: 'user', id: 'alice@contoso.com' }, resource: { type: 'relying_party', id: 'https://intranet.contoso.com/' }, action: { name: 'access' } }),
    await call(serve.base, '/v1/decisions', { relyingParty: 'urn:nobody' }),
  ];
  t.same(responses.map((r) => r.status), [200, 200, 200, 200, 404], 'four decisions and one unknown relying party');
  const first = (await responses[0]!.json()) as { decision: string; device: { id: string } };
  t.equal(await serve.stop(), 0);

  const text = readFileSync(file, 'utf8');
  const lines = text.trimEnd().split('\n');
  t.equal(lines.length, 4, 'one line per decision, none for the 404');
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const r of records) {
    t.match(r, { time: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, requestId: String, caller: 'adfs-farm', relyingParty: String, deviceStatus: String, deviceSource: String, decision: /^(permit|deny|mfa_required)$/, reasonCode: String, policyRevision: serve.revision, latencyMs: Number });
  }
  t.match(records[0], { requestId: 'audit-req-1', relyingParty: 'https://payroll.contoso.com/', deviceId: first.device.id, deviceStatus: 'known', decision: first.decision, reasonCode: 'permit_rule', reasonRule: 'Permit compliant devices' });
  t.equal(records[1]!.relyingParty, 'https://payroll.contoso.com/', 'the configured id, whichever identifier the caller used');
  t.equal(records[2]!.simulatedAt, new Date(saml.referenceTime).toISOString(), 'a what-if decision says so');
  t.equal(records[0]!.simulatedAt, undefined);
  t.match(records[3], { relyingParty: 'https://intranet.contoso.com/', deviceStatus: 'not_presented', decision: 'mfa_required' });
  t.not(records[1]!.requestId, records[3]!.requestId, 'generated request ids differ');

  // Never a token, password, certificate, SAML token or caller claim, in the audit log or the service log.
  const certBody = CERT_PEM.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
  for (const [what, secret] of [
    ['token', TOKEN],
    ['password', PASSWORD],
    ['certificate', certBody[1]!],
    ['certificate (start)', certBody[0]!.slice(0, 40)],
    ['SAML token', SAML_TOKEN.slice(100, 160)],
    ['claim value', CLAIM_SECRET],
  ] as const) {
    t.notOk(text.includes(secret), `audit log holds no ${what}`);
    t.notOk(serve.stderr().includes(secret), `service log holds no ${what}`);
  }
});

t.test('audit to stdout by default; --audit-sample 0 and --audit-log off write none', async (t) => {
  const env = { DEVICEGATE_API_TOKENS: tokenHashEntry(TOKEN) };
  const body = { relyingParty: 'https://payroll.contoso.com/', device: { thumbprint: COMPLIANT.thumbprint } };
  const byDefault = await startServe(t, ['--log-level', 'warn'], env);
  t.equal((await call(byDefault.base, '/v1/decisions', body)).status, 200);
  t.equal((await call(byDefault.base, '/v1/decisions', body)).status, 200);
  t.equal(await byDefault.stop(), 0);
  t.equal(byDefault.stdoutLines.length, 2, byDefault.stdoutLines.join('\n'));
  t.match(JSON.parse(byDefault.stdoutLines[0]!), { caller: 'token#1', decision: 'permit', deviceStatus: 'known' });

  for (const flags of [['--audit-sample', '0'], ['--audit-log', 'off']]) {
    const quiet = await startServe(t, ['--log-level', 'warn', ...flags], env);
    t.equal((await call(quiet.base, '/v1/decisions', body)).status, 200);
    t.equal(await quiet.stop(), 0);
    t.same(quiet.stdoutLines, [], flags.join(' '));
  }
  const dir = mkdtempSync(join(tmpdir(), 'dg-audit-off-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const off = await startServe(t, ['--log-level', 'warn', '--audit-log', 'off'], env, dir);
  await off.stop();
  t.notOk(existsSync(join(dir, 'off')), '"off" is not a file name');
});
