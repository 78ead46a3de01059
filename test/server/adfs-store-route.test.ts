/** POST /v1/adfs/attribute-store/query over the real engine, the LDIF fixture directory and the sample rules/. */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DECIDE, errorShape, fixtureApp, ROOT } from './fixture-app.js';

interface FixtureDevice { slug: string; deviceId: string; thumbprint: string; displayName: string; expectedStatus: string }
const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/devices.json'), 'utf8')) as { devices: FixtureDevice[]; users: { name: string; sid: string }[] };
const device = (slug: string): FixtureDevice => manifest.devices.find((d) => d.slug === slug)!;
const sid = (name: string): string => manifest.users.find((u) => u.name === name)!.sid;
const URL_ = '/v1/adfs/attribute-store/query';

t.test('device: the listed device-claim columns, by device ID or thumbprint', async (t) => {
  const { app } = await fixtureApp(t);
  const hybrid = device('hybrid-compliant');
  for (const key of [hybrid.deviceId, hybrid.thumbprint, hybrid.thumbprint.toLowerCase(), `{${hybrid.deviceId.toUpperCase()}}`]) {
    const res = await app.inject({ method: 'POST', url: URL_, headers: DECIDE, payload: { query: 'device;identifier,isknown,iscompliant,displayname,ismanaged;{0}', params: [key] } });
    t.equal(res.statusCode, 200, key);
    t.same(res.json(), { columns: ['identifier', 'isknown', 'iscompliant', 'displayname', 'ismanaged'], rows: [[hybrid.deviceId, 'true', 'true', hybrid.displayName, 'true']] }, key);
  }
  const nc = await app.inject({ method: 'POST', url: URL_, headers: DECIDE, payload: { query: 'DEVICE; IsCompliant ;{0}', params: [device('managed-noncompliant').thumbprint] } });
  t.same(nc.json(), { columns: ['iscompliant'], rows: [['false']] });

  // isregistereduser needs the SID: byod-personal is registered to Alice, not Bob.
  const byod = device('byod-personal');
  for (const [who, expected] of [['alice', 'true'], ['bob', 'false']] as const) {
    const res = await app.inject({ method: 'POST', url: URL_, headers: DECIDE, payload: { query: 'device;isregistereduser;{0};{1}', params: [byod.deviceId, sid(who)] } });
    t.same(res.json(), { columns: ['isregistereduser'], rows: [[expected]] }, who);
  }

  // Not a known device: no device claims, so an empty table (never made-up values).
  for (const slug of ['not-in-ad', 'disabled']) {
    const res = await app.inject({ method: 'POST', url: URL_, headers: DECIDE, payload: { query: 'device;isknown;{0}', params: [device(slug).thumbprint] } });
    t.same(res.json(), { columns: ['isknown'], rows: [] }, slug);
  }
  const none = await app.inject({ method: 'POST', url: URL_, headers: DECIDE, payload: { query: 'device;isknown;{0}', params: [''] } });
  t.same(none.json(), { columns: ['isknown'], rows: [] }, 'an empty device value is no device');
});

t.test('decision: the same decision and reason as /v1/decisions for the same inputs', async (t) => {
  const { app } = await fixtureApp(t);
  const rps = ['https://payroll.contoso.com/', 'https://intranet.contoso.com/', 'https://extranet.contoso.com/', 'https://apps.contoso.com/registered/', 'https://payroll-preview.contoso.com/'];
  const devices = ['hybrid-compliant', 'managed-noncompliant', 'byod-personal', 'not-in-ad', '(none)'];
  const seen = new Set<string>();
  for (const rp of rps) {
    for (const slug of devices) {
      for (const user of ['alice', 'bob']) {
        const d = slug === '(none)' ? undefined : device(slug);
        const expected = await app.inject({
          method: 'POST',
          url: '/v1/decisions',
          headers: DECIDE,
          payload: {
            relyingParty: rp,
            ...(d !== undefined ? { device: { deviceId: d.deviceId } } : {}),
            claims: [{ type: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid', value: sid(user) }],
          },
        });
        const e = expected.json() as { decision: string; reason: { code: string; message: string; rule?: string }; device: { status: string } };
        const res = await app.inject({
          method: 'POST',
          url: URL_,
          headers: DECIDE,
          payload: { query: 'decision;decision,reason,reasoncode,rule,devicestatus;{0};{1};{2}', params: [rp, d?.deviceId ?? '', sid(user)] },
        });
        t.equal(res.statusCode, 200);
        t.same(res.json(), { columns: ['decision', 'reason', 'reasoncode', 'rule', 'devicestatus'], rows: [[e.decision, e.reason.message, e.reason.code, e.reason.rule ?? '', e.device.status]] }, `${rp} ${slug} ${user}`);
        seen.add(e.decision);
      }
    }
  }
  t.same([...seen].sort(), ['deny', 'mfa_required', 'permit'], 'the table covers all three outcomes');

  // A literal relying party in the query, the device by thumbprint.
  const lit = await app.inject({ method: 'POST', url: URL_, headers: DECIDE, payload: { query: 'decision;decision;https://payroll.contoso.com/;{0};{1}', params: [device('hybrid-compliant').thumbprint, sid('alice')] } });
  t.same(lit.json(), { columns: ['decision'], rows: [['permit']] });
  const unknownRp = await app.inject({ method: 'POST', url: URL_, headers: DECIDE, payload: { query: 'decision;decision;{0};{1};{2}', params: ['https://nowhere.example/', '', ''] } });
  t.equal(unknownRp.statusCode, 404, 'an unknown relying party is an error, not an empty table');
});

t.test('hostile parameter values are values: they never change the query', async (t) => {
  const { app } = await fixtureApp(t);
  const hostile = ['https://payroll.contoso.com/;{1};{2}', '{0}', 'x;decision;y', 'https://payroll.contoso.com/\u0000', '};device;isknown;{0}'];
  for (const value of hostile) {
    const res = await app.inject({ method: 'POST', url: URL_, headers: DECIDE, payload: { query: 'decision;decision;{0};{1};{2}', params: [value, device('hybrid-compliant').deviceId, sid('alice')] } });
    t.equal(res.statusCode, 404, `${JSON.stringify(value)} is looked up as a relying party identifier, nothing else`);
    t.equal(errorShape(res.json())?.code, 'DG_ERR_POLICY_UNKNOWN_RELYING_PARTY');
  }
  for (const value of ['{0}', 'e519228d-8c2b-47d8-afb4-5b33dfe6aeff;{1}', '0058DF301BC35E03A80EC24DB632FACF52D05041*', '*)(objectClass=*']) {
    const res = await app.inject({ method: 'POST', url: URL_, headers: DECIDE, payload: { query: 'device;isknown;{0}', params: [value] } });
    t.equal(res.statusCode, 400, JSON.stringify(value));
    t.same(res.json(), { error: { code: 'DG_ERR_ADFS_QUERY_VALUE', message: 'params.0 must be a device ID (GUID) or a certificate thumbprint (40 hex digits)', field: 'params.0' } });
  }
  const badSid = await app.inject({ method: 'POST', url: URL_, headers: DECIDE, payload: { query: 'decision;decision;{0};{1};{2}', params: ['https://payroll.contoso.com/', '', 'S-1-5-21-1;x'] } });
  t.equal(errorShape(badSid.json())?.field, 'params.2');
});

t.test('malformed queries and bodies: 400 with code and position, never a table', async (t) => {
  const { app } = await fixtureApp(t);
  const res = await app.inject({ method: 'POST', url: URL_, headers: DECIDE, payload: { query: 'device;isknown,colour;{0}', params: ['x'] } });
  t.equal(res.statusCode, 400);
  const body = res.json() as { error: { code: string; position: number; field: string; message: string } };
  t.equal(body.error.code, 'DG_ERR_ADFS_QUERY_COLUMN');
  t.equal(body.error.position, 15);
  t.equal(body.error.field, 'query');
  t.notOk('columns' in body || 'rows' in body);

  const missing = await app.inject({ method: 'POST', url: URL_, headers: DECIDE, payload: { query: 'device;isknown;{1}', params: ['e519228d-8c2b-47d8-afb4-5b33dfe6aeff'] } });
  t.match(missing.json(), { error: { code: 'DG_ERR_ADFS_QUERY_PARAMETER', position: 15 } });

  const bodies: [unknown, string][] = [
    [{ params: [] }, 'query'],
    [{ query: 'device;isknown;{0}' }, 'params'],
    [{ query: 'device;isknown;{0}', params: [null] }, 'params.0'],
    [{ query: 'device;isknown;{0}', params: Array.from({ length: 17 }, () => 'x') }, 'params'],
    [{ query: 'x'.repeat(1025), params: [] }, 'query'],
    [{ query: 'device;isknown;{0}', params: ['x'.repeat(1025)] }, 'params.0'],
    [{ query: 'device;isknown;{0}', params: [], extra: 1 }, 'extra'],
    [{ query: 'device;isknown;{0}', params: [], node: 'a\nb' }, 'node'],
  ];
  for (const [payload, field] of bodies) {
    const r = await app.inject({ method: 'POST', url: URL_, headers: DECIDE, payload: payload as object });
    t.equal(r.statusCode, 400, JSON.stringify(payload).slice(0, 60));
    t.equal(errorShape(r.json())?.field, field);
  }
});

t.test('callers authenticate as for every decide route', async (t) => {
  const { app } = await fixtureApp(t);
  const payload = { query: 'device;isknown;{0}', params: [device('hybrid-compliant').deviceId] };
  t.equal((await app.inject({ method: 'POST', url: URL_, payload })).statusCode, 401);
  t.equal((await app.inject({ method: 'POST', url: URL_, headers: { authorization: 'Bearer wrong' }, payload })).statusCode, 401);
  const docs = await app.inject({ method: 'GET', url: '/docs/json' });
  t.ok((docs.json() as { paths: Record<string, unknown> }).paths[URL_], 'the route is in the OpenAPI document');
});

t.test('mutual TLS (the recommended way for an AD FS farm): a verified client certificate may query', async (t) => {
  const { request } = await import('node:https');
  const pem = (p: string) => readFileSync(join(ROOT, 'fixtures', p));
  const { app } = await fixtureApp(t, {
    tls: { cert: pem('devices/rejoined.crt.pem'), key: pem('devices/rejoined.key.pem'), clientCa: pem('ca/ms-organization-access.crt.pem') },
    auth: { tokens: [], mtls: true, onGeneratedToken: () => undefined },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const post = (client?: { cert: Buffer; key: Buffer }): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: URL_, method: 'POST', headers: { 'content-type': 'application/json' }, rejectUnauthorized: false, ...client },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ query: 'device;iscompliant;{0}', params: [device('hybrid-compliant').deviceId] }));
    });
  const ok = await post({ cert: pem('devices/hybrid-compliant.crt.pem'), key: pem('devices/hybrid-compliant.key.pem') });
  t.equal(ok.status, 200);
  t.same(JSON.parse(ok.body), { columns: ['iscompliant'], rows: [['true']] });
  t.equal((await post()).status, 401, 'no client certificate');
  t.equal((await post({ cert: pem('devices/foreign-issuer.crt.pem'), key: pem('devices/foreign-issuer.key.pem') })).status, 401, 'a certificate from another CA');
});
