import t from 'tap';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN, DECIDE, ROOT, RULES, errorShape, fixtureApp } from './fixture-app.js';

const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/devices.json'), 'utf8')) as {
  devices: { slug: string; thumbprint: string; deviceId: string; displayName: string; certificate: string; expectedStatus: string }[];
};
const device = (slug: string) => manifest.devices.find((d) => d.slug === slug)!;
const PAYROLL = 'https://payroll.contoso.com/';

const json = { ...DECIDE, 'content-type': 'application/json' };

t.test('POST /v1/decisions: decision, device facts, revision; explain and issuedClaims on request', async (t) => {
  const { app, engine } = await fixtureApp(t);
  const d = device('hybrid-compliant');
  const plain = await app.inject({ method: 'POST', url: '/v1/decisions', headers: json, payload: JSON.stringify({ relyingParty: PAYROLL, device: { thumbprint: d.thumbprint.toLowerCase() } }) });
  t.equal(plain.statusCode, 200, plain.body);
  const body = plain.json() as Record<string, unknown> & { device: Record<string, unknown>; relyingParty: { id: string; name: string } };
  t.equal(body.decision, 'permit');
  t.equal(body.relyingParty.name, 'Payroll');
  t.equal(body.device.status, 'known');
  t.equal(body.device.id, d.deviceId);
  t.equal(body.device.displayName, d.displayName);
  t.equal(body.device.compliant, true);
  t.equal(body.policyRevision, engine.revision);
  t.notOk('trace' in body, 'no trace unless asked');
  t.notOk('issuedClaims' in body, 'no issued claims unless asked');

  const pem = readFileSync(join(ROOT, d.certificate), 'utf8');
  const explained = await app.inject({
    method: 'POST',
    url: '/v1/decisions',
    headers: json,
    payload: JSON.stringify({ relyingParty: 'https://claims.contoso.com/', device: { certificate: pem }, claims: [{ type: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', value: 'alice@contoso.com' }], explain: true, include: ['issuedClaims'] }),
  });
  t.equal(explained.statusCode, 200, explained.body);
  const e = explained.json() as { decision: string; trace: unknown[]; issuedClaims: { type: string; value: string; issuer: string }[] };
  t.equal(e.decision, 'permit');
  t.ok(Array.isArray(e.trace) && e.trace.length > 0, 'trace present');
  t.ok(e.issuedClaims.some((c) => c.value === 'alice@contoso.com'), 'upn passed through');
  t.ok(e.issuedClaims.some((c) => c.value === 'CompliantDevice'), 'device-based role issued');
});

t.test('GET /v1/devices/{thumbprint}: record, status, claims; accepts separated lower-case forms', async (t) => {
  const { app } = await fixtureApp(t);
  const d = device('hybrid-compliant');
  const colon = d.thumbprint.toLowerCase().match(/../g)!.join(':');
  const res = await app.inject({ method: 'GET', url: `/v1/devices/${colon}`, headers: DECIDE });
  t.equal(res.statusCode, 200, res.body);
  const body = res.json() as { thumbprint: string; status: string; record: { deviceId: string; altSecurityIdentities: string[]; approximateLastLogon?: string }; claims: { type: string; value: string }[] };
  t.equal(body.thumbprint, d.thumbprint);
  t.equal(body.status, 'known');
  t.equal(body.record.deviceId, d.deviceId);
  t.ok(body.record.altSecurityIdentities.some((v) => v.includes(d.thumbprint)));
  if (body.record.approximateLastLogon !== undefined) t.match(body.record.approximateLastLogon, /^\d{4}-\d\d-\d\dT/);
  t.ok(body.claims.some((c) => c.type.endsWith('/devicecontext/claims/isknown') && c.value === 'true'));

  const disabled = await app.inject({ method: 'GET', url: `/v1/devices/${device('disabled').thumbprint}`, headers: DECIDE });
  t.equal(disabled.statusCode, 200);
  t.equal((disabled.json() as { status: string; claims: unknown[] }).status, 'disabled');
  t.same((disabled.json() as { claims: unknown[] }).claims, [], 'no device claims unless known');

  const missing = await app.inject({ method: 'GET', url: `/v1/devices/${device('not-in-ad').thumbprint}`, headers: DECIDE });
  t.equal(missing.statusCode, 404);
});

t.test('GET /v1/relying-parties lists the sample rules', async (t) => {
  const { app, engine } = await fixtureApp(t);
  const res = await app.inject({ method: 'GET', url: '/v1/relying-parties', headers: DECIDE });
  t.equal(res.statusCode, 200);
  const body = res.json() as { policyRevision: string; relyingParties: { slug: string; identifiers: string[]; mode: string }[] };
  t.equal(body.policyRevision, engine.revision);
  const slugs = body.relyingParties.map((r) => r.slug).sort();
  for (const slug of ['claims-app', 'extranet', 'intranet', 'payroll', 'registered-device']) t.ok(slugs.includes(slug), slug);
  t.same(body.relyingParties.find((r) => r.slug === 'payroll')?.identifiers, ['https://payroll.contoso.com/', 'urn:contoso:payroll']);
});

t.test('health, readiness, metrics, docs', async (t) => {
  const { app, engine } = await fixtureApp(t);
  t.same((await app.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' });
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { ready: true, rules: true, directory: { ok: true, backend: 'ldif' }, policyRevision: engine.revision });

  for (let i = 0; i < 3; i++) await app.inject({ method: 'POST', url: '/v1/decisions', headers: json, payload: JSON.stringify({ relyingParty: PAYROLL }) });
  await app.inject({ method: 'POST', url: '/v1/decisions', headers: json, payload: JSON.stringify({ relyingParty: 'urn:none' }) });
  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(metrics.statusCode, 200);
  t.match(metrics.headers['content-type'], /text\/plain/);
  t.match(metrics.body, /devicegate_decisions_total\{result="deny"\} 3/);
  t.match(metrics.body, /devicegate_decision_errors_total\{status="404"\} 1/);
  t.match(metrics.body, /devicegate_decision_duration_seconds_count 3/);

  const docs = await app.inject({ method: 'GET', url: '/docs/json' });
  t.equal(docs.statusCode, 200);
  const spec = docs.json() as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown>; additionalProperties: boolean } }> } }>> };
  for (const path of ['/v1/decisions', '/access/v1/evaluation', '/access/v1/evaluations', '/v1/devices/{thumbprint}', '/v1/admin/reload', '/healthz']) t.ok(spec.paths[path], `documents ${path}`);
  const schema = spec.paths['/v1/decisions']!.post!.requestBody!.content['application/json']!.schema;
  t.ok('relyingParty' in schema.properties, 'request schema is the validating one');
  t.equal(schema.additionalProperties, false);
  t.equal((await app.inject({ method: 'GET', url: '/docs' })).statusCode < 400, true, '/docs serves the UI');
});

t.test('readyz is 503 when the engine is not ready', async (t) => {
  const { app, engine } = await fixtureApp(t);
  const original = engine.readiness.bind(engine);
  (engine as { readiness: typeof engine.readiness }).readiness = async () => ({ ...(await original()), ok: false, directory: { ok: false, backend: 'ldap', detail: 'ldap://dc1: ECONNREFUSED secret-ish' } });
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(res.statusCode, 503);
  t.notMatch(res.body, /ECONNREFUSED|dc1/, 'no directory internals on a public route');
});

t.test('cache purge (admin)', async (t) => {
  const { app } = await fixtureApp(t);
  const d = device('hybrid-compliant');
  await app.inject({ method: 'POST', url: '/v1/decisions', headers: json, payload: JSON.stringify({ relyingParty: PAYROLL, device: { thumbprint: d.thumbprint } }) });
  const second = await app.inject({ method: 'POST', url: '/v1/decisions', headers: json, payload: JSON.stringify({ relyingParty: PAYROLL, device: { thumbprint: d.thumbprint } }) });
  t.equal((second.json() as { device: { source: string } }).device.source, 'cache');
  const purge = await app.inject({ method: 'POST', url: '/v1/admin/cache/purge', headers: ADMIN });
  t.equal(purge.statusCode, 200, purge.body);
  t.ok((purge.json() as { purged: number }).purged >= 1);
  const third = await app.inject({ method: 'POST', url: '/v1/decisions', headers: json, payload: JSON.stringify({ relyingParty: PAYROLL, device: { thumbprint: d.thumbprint } }) });
  t.equal((third.json() as { device: { source: string } }).device.source, 'directory', 'purged entry is fetched again');
  const keyed = await app.inject({ method: 'POST', url: '/v1/admin/cache/purge', headers: { ...ADMIN, 'content-type': 'application/json' }, payload: JSON.stringify({ key: 'nothing-cached-under-this' }) });
  t.same(keyed.json(), { purged: 0 });
});

t.test('reload with a broken rules file keeps the old revision; a fixed file is picked up', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dg-rules-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(RULES, dir, { recursive: true });
  const { app, engine } = await fixtureApp(t, { rulesDir: dir });
  const before = engine.revision;
  const file = join(dir, 'relying-parties/payroll/authorization.rules');
  const good = readFileSync(file, 'utf8');
  writeFileSync(file, `${good}\n@RuleName = "broken"\nc:[Type == ] => issue(claim = c)\n`);
  const broken = await app.inject({ method: 'POST', url: '/v1/admin/reload', headers: ADMIN });
  t.ok(broken.statusCode === 400 || broken.statusCode === 422, `status ${broken.statusCode}`);
  const error = errorShape(broken.json());
  t.ok(error, broken.body);
  const diagnostics = (broken.json() as { error: { diagnostics?: string[] } }).error.diagnostics ?? [];
  t.ok(diagnostics.some((d) => d.includes('authorization.rules')), 'diagnostics name the file');
  t.equal(engine.revision, before, 'revision unchanged');
  const decision = await app.inject({ method: 'POST', url: '/v1/decisions', headers: json, payload: JSON.stringify({ relyingParty: PAYROLL }) });
  t.equal((decision.json() as { policyRevision: string }).policyRevision, before, 'still serving the old rules');

  writeFileSync(file, good);
  appendFileSync(file, '\n@RuleName = "Permit everyone"\n => issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");\n');
  const fixed = await app.inject({ method: 'POST', url: '/v1/admin/reload', headers: ADMIN });
  t.equal(fixed.statusCode, 200, fixed.body);
  const r = fixed.json() as { revision: string; previousRevision: string; changed: boolean };
  t.equal(r.previousRevision, before);
  t.not(r.revision, before);
  t.equal(r.changed, true);
  const after = await app.inject({ method: 'POST', url: '/v1/decisions', headers: json, payload: JSON.stringify({ relyingParty: PAYROLL }) });
  t.equal((after.json() as { decision: string }).decision, 'permit', 'new rules in force');
});
