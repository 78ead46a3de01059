import t from 'tap';
import fc from 'fast-check';
import { ADMIN, DECIDE, errorShape, fixtureApp } from './fixture-app.js';

const RP = 'https://payroll.contoso.com/';
const SUBJECT = { type: 'user', id: 'alice@contoso.com' };
const RESOURCE = { type: 'relying_party', id: RP };
const ACTION = { name: 'access' };

interface Case {
  readonly name: string;
  readonly method?: 'GET' | 'POST';
  readonly url: string;
  readonly body?: unknown;
  readonly raw?: string;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  readonly status: number;
  readonly code?: string | RegExp;
  readonly field?: string;
}

const CASES: readonly Case[] = [
  // POST /v1/decisions
  { name: 'empty object', url: '/v1/decisions', body: {}, status: 400, code: 'DG_ERR_SERVER_INVALID_REQUEST', field: 'relyingParty' },
  { name: 'relyingParty a number', url: '/v1/decisions', body: { relyingParty: 7 }, status: 400, field: 'relyingParty' },
  { name: 'relyingParty empty', url: '/v1/decisions', body: { relyingParty: '' }, status: 400, field: 'relyingParty' },
  { name: 'unknown top-level field', url: '/v1/decisions', body: { relyingParty: RP, bogus: 1 }, status: 400, code: 'DG_ERR_SERVER_UNKNOWN_FIELD', field: 'bogus' },
  { name: 'device without a way', url: '/v1/decisions', body: { relyingParty: RP, device: {} }, status: 400, field: 'device' },
  { name: 'device with two ways', url: '/v1/decisions', body: { relyingParty: RP, device: { thumbprint: 'a'.repeat(40), deviceId: 'x' } }, status: 400, field: 'device' },
  { name: 'device unknown field', url: '/v1/decisions', body: { relyingParty: RP, device: { serial: '1' } }, status: 400, code: 'DG_ERR_SERVER_UNKNOWN_FIELD', field: 'device.serial' },
  { name: 'device a string', url: '/v1/decisions', body: { relyingParty: RP, device: 'abc' }, status: 400, field: 'device' },
  { name: 'thumbprint garbage', url: '/v1/decisions', body: { relyingParty: RP, device: { thumbprint: 'not-hex!' } }, status: 400, field: 'device.thumbprint' },
  { name: 'thumbprint too short', url: '/v1/decisions', body: { relyingParty: RP, device: { thumbprint: 'ABCDEF' } }, status: 400, field: 'device.thumbprint' },
  { name: 'certificate garbage', url: '/v1/decisions', body: { relyingParty: RP, device: { certificate: 'hello world' } }, status: 400, field: 'device.certificate' },
  { name: 'certificate bad PEM', url: '/v1/decisions', body: { relyingParty: RP, device: { certificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' } }, status: 400, field: 'device.certificate' },
  { name: 'deviceId garbage', url: '/v1/decisions', body: { relyingParty: RP, device: { deviceId: 'zzz' } }, status: 400, field: 'device.deviceId' },
  { name: 'claims not an array', url: '/v1/decisions', body: { relyingParty: RP, claims: {} }, status: 400, field: 'claims' },
  { name: 'claim value a number', url: '/v1/decisions', body: { relyingParty: RP, claims: [{ type: 't', value: 1 }] }, status: 400, field: 'claims.0.value' },
  { name: 'claim missing type', url: '/v1/decisions', body: { relyingParty: RP, claims: [{ value: 'v' }] }, status: 400, field: 'claims.0.type' },
  { name: 'claim unknown field', url: '/v1/decisions', body: { relyingParty: RP, claims: [{ type: 't', value: 'v', Type: 'x' }] }, status: 400, code: 'DG_ERR_SERVER_UNKNOWN_FIELD', field: 'claims.0.Type' },
  { name: 'claim property not a string', url: '/v1/decisions', body: { relyingParty: RP, claims: [{ type: 't', value: 'v', properties: { a: 1 } }] }, status: 400, field: 'claims.0.properties.a' },
  { name: 'explain a string', url: '/v1/decisions', body: { relyingParty: RP, explain: 'yes' }, status: 400, field: 'explain' },
  { name: 'include unknown', url: '/v1/decisions', body: { relyingParty: RP, include: ['everything'] }, status: 400, field: 'include.0' },
  { name: 'samlToken without trusted signers', url: '/v1/decisions', body: { relyingParty: RP, samlToken: 'PHNhbWw+' }, status: 400, code: 'DG_ERR_SAML_NO_TRUSTED_SIGNERS', field: 'samlToken' },
  { name: 'unknown relying party', url: '/v1/decisions', body: { relyingParty: 'https://nobody.example/' }, status: 404, field: 'relyingParty' },
  { name: 'body an array', url: '/v1/decisions', body: [], status: 400 },
  { name: 'body a string', url: '/v1/decisions', raw: '"x"', status: 400 },
  { name: 'body null', url: '/v1/decisions', raw: 'null', status: 400 },
  { name: 'invalid JSON', url: '/v1/decisions', raw: '{"relyingParty":', status: 400 },
  { name: 'prototype poisoning', url: '/v1/decisions', raw: '{"relyingParty":"x","__proto__":{"admin":true}}', status: 400 },
  { name: 'empty JSON body', url: '/v1/decisions', raw: '', status: 400 },
  { name: 'huge body', url: '/v1/decisions', body: { relyingParty: RP, claims: [{ type: 't', value: 'x'.repeat(70_000) }] }, status: 413, code: 'DG_ERR_SERVER_BODY_TOO_LARGE' },
  { name: 'text/plain', url: '/v1/decisions', raw: '{"relyingParty":"x"}', contentType: 'text/plain', status: 415, code: 'DG_ERR_SERVER_UNSUPPORTED_MEDIA_TYPE' },
  { name: 'form encoded', url: '/v1/decisions', raw: 'relyingParty=x', contentType: 'application/x-www-form-urlencoded', status: 415 },
  { name: 'xml', url: '/v1/decisions', raw: '<x/>', contentType: 'application/xml', status: 415 },
  // AuthZEN
  { name: 'evaluation without subject', url: '/access/v1/evaluation', body: { resource: RESOURCE, action: ACTION }, status: 400, field: 'subject' },
  { name: 'evaluation subject device', url: '/access/v1/evaluation', body: { subject: { type: 'device', id: 'x' }, resource: RESOURCE, action: ACTION }, status: 400, code: 'DG_ERR_SERVER_UNSUPPORTED_SUBJECT', field: 'subject.type' },
  { name: 'evaluation resource type', url: '/access/v1/evaluation', body: { subject: SUBJECT, resource: { type: 'document', id: RP }, action: ACTION }, status: 400, field: 'resource.type' },
  { name: 'evaluation action', url: '/access/v1/evaluation', body: { subject: SUBJECT, resource: RESOURCE, action: { name: 'delete' } }, status: 400, field: 'action.name' },
  // AuthZEN: unknown fields are ignored, and a bad batch item is that item's decision false (test/server/authzen-conformance.test.ts).
  { name: 'evaluation context claims not an array', url: '/access/v1/evaluation', body: { subject: SUBJECT, resource: RESOURCE, action: ACTION, context: { claims: 'x' } }, status: 400, field: 'context.claims' },
  { name: 'evaluation bad thumbprint', url: '/access/v1/evaluation', body: { subject: SUBJECT, resource: RESOURCE, action: ACTION, context: { device: { thumbprint: 'xyz' } } }, status: 400, field: 'device.thumbprint' },
  { name: 'evaluation unknown RP', url: '/access/v1/evaluation', body: { subject: SUBJECT, resource: { type: 'relying_party', id: 'urn:none' }, action: ACTION }, status: 404 },
  { name: 'evaluations bad semantic', url: '/access/v1/evaluations', body: { subject: SUBJECT, resource: RESOURCE, action: ACTION, evaluations: [{}], options: { evaluations_semantic: 'first' } }, status: 400, field: 'options.evaluations_semantic' },
  { name: 'evaluations not an array', url: '/access/v1/evaluations', body: { subject: SUBJECT, resource: RESOURCE, action: ACTION, evaluations: {} }, status: 400, field: 'evaluations' },
  // devices
  { name: 'device route garbage thumbprint', method: 'GET', url: '/v1/devices/not-a-thumbprint', status: 400, code: 'DG_ERR_SERVER_BAD_THUMBPRINT', field: 'thumbprint' },
  { name: 'device route 39 hex', method: 'GET', url: `/v1/devices/${'A'.repeat(39)}`, status: 400, field: 'thumbprint' },
  { name: 'device route unknown device', method: 'GET', url: `/v1/devices/${'AB'.repeat(20)}`, status: 404, code: 'DG_ERR_SERVER_DEVICE_NOT_FOUND', field: 'thumbprint' },
  { name: 'device route unknown query', method: 'GET', url: `/v1/devices/${'AB'.repeat(20)}?debug=1`, status: 400, field: 'debug' },
  // admin
  { name: 'purge key a number', url: '/v1/admin/cache/purge', body: { key: 1 }, headers: ADMIN, status: 400, field: 'key' },
  { name: 'purge unknown field', url: '/v1/admin/cache/purge', body: { all: true }, headers: ADMIN, status: 400, field: 'all' },
  // routing
  { name: 'unknown route', method: 'GET', url: '/v2/nothing', status: 404, code: 'DG_ERR_SERVER_NOT_FOUND' },
  { name: 'wrong method', method: 'GET', url: '/v1/decisions', status: 404 },
];

t.test('bad input: a 4xx with { error: { code, message, field } }, never a 5xx', async (t) => {
  const { app } = await fixtureApp(t);
  for (const c of CASES) {
    const payload = c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body));
    const res = await app.inject({
      method: c.method ?? 'POST',
      url: c.url,
      headers: { ...DECIDE, ...(payload !== undefined ? { 'content-type': c.contentType ?? 'application/json' } : {}), ...c.headers },
      ...(payload !== undefined ? { payload } : {}),
    });
    t.equal(res.statusCode, c.status, `${c.name}: status (${res.body.slice(0, 200)})`);
    const error = errorShape(res.json());
    t.ok(error, `${c.name}: error shape`);
    if (c.code !== undefined) t.match(error?.code, c.code, `${c.name}: code`);
    else t.match(error?.code, /^DG_ERR_/, `${c.name}: code`);
    if (c.field !== undefined) t.equal(error?.field, c.field, `${c.name}: field`);
    t.notMatch(res.body, /at .*\.(ts|js):\d+/, `${c.name}: no stack trace`);
    t.notMatch(res.body, /"decision"/, `${c.name}: no decision`);
  }
});

t.test('fuzz: random JSON bodies never produce a 5xx', async (t) => {
  const { app } = await fixtureApp(t);
  const json = fc.jsonValue({ maxDepth: 4 });
  const decisionish = fc.record(
    {
      relyingParty: fc.oneof(fc.constant(RP), fc.string(), json),
      device: fc.oneof(fc.record({ thumbprint: fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:'), minLength: 38, maxLength: 60 }), fc.string()) }), fc.record({ deviceId: fc.string() }), fc.record({ certificate: fc.string() }), json),
      claims: fc.oneof(fc.array(fc.record({ type: fc.string(), value: fc.string() }), { maxLength: 5 }), json),
      explain: fc.oneof(fc.boolean(), json),
    },
    { requiredKeys: [] },
  );
  const routes = ['/v1/decisions', '/access/v1/evaluation', '/access/v1/evaluations', '/v1/admin/cache/purge'];
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...routes), fc.oneof(json, decisionish), async (url, body) => {
      const res = await app.inject({ method: 'POST', url, headers: { ...ADMIN, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      if (res.statusCode >= 500) throw new Error(`${url} ${JSON.stringify(body)} -> ${res.statusCode} ${res.body}`);
      if (res.statusCode >= 400 && !errorShape(res.json())) throw new Error(`${url}: bad error shape ${res.body}`);
      if (res.statusCode === 200 && url === '/v1/decisions') {
        const decision = (res.json() as { decision: string }).decision;
        if (!['permit', 'deny', 'mfa_required'].includes(decision)) throw new Error(`bad decision ${decision}`);
      }
    }),
    { numRuns: 300 },
  );
  t.pass('300 random bodies');
});
