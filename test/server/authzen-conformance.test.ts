/**
 * OpenID AuthZEN Authorization API 1.0, the Access Evaluation and Access Evaluations sections and the
 * HTTPS binding's request identification: one test per MUST (and per normative default) that applies
 * to this PDP. Quotes are abbreviated from the specification.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DECIDE, ROOT, fixtureApp } from './fixture-app.js';

const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/devices.json'), 'utf8')) as { devices: { slug: string; thumbprint: string }[] };
const COMPLIANT = { device: { thumbprint: manifest.devices.find((d) => d.slug === 'hybrid-compliant')!.thumbprint } };
const PAYROLL = { type: 'relying_party', id: 'https://payroll.contoso.com/' };
const ALICE = { type: 'user', id: 'alice@contoso.com' };
const ACCESS = { name: 'access' };

interface Result { decision: boolean; context?: { decision?: string; error?: { status: number; code: string; message: string; field?: string }; reason_admin?: { code: string; message: string } } }
type App = Awaited<ReturnType<typeof fixtureApp>>['app'];

function post(app: App, url: string, body: unknown, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url, headers: { ...DECIDE, 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });
}

t.test('evaluation request: subject, action and resource are REQUIRED (a 400 names the field); context is OPTIONAL', async (t) => {
  const { app } = await fixtureApp(t);
  const full = { subject: ALICE, resource: PAYROLL, action: ACCESS };
  for (const key of ['subject', 'resource', 'action'] as const) {
    const { [key]: _dropped, ...rest } = full;
    const res = await post(app, '/access/v1/evaluation', rest);
    t.equal(res.statusCode, 400, `without ${key}`);
    t.equal((res.json() as { error: { field: string } }).error.field, key);
  }
  t.equal((await post(app, '/access/v1/evaluation', full)).statusCode, 200, 'no context is fine');
});

t.test('subject and resource: type and id are REQUIRED strings; action: name is REQUIRED', async (t) => {
  const { app } = await fixtureApp(t);
  const cases: [string, unknown][] = [
    ['subject.id', { subject: { type: 'user' }, resource: PAYROLL, action: ACCESS }],
    ['subject.type', { subject: { id: 'alice' }, resource: PAYROLL, action: ACCESS }],
    ['resource.id', { subject: ALICE, resource: { type: 'relying_party' }, action: ACCESS }],
    ['action.name', { subject: ALICE, resource: PAYROLL, action: {} }],
    ['subject.id', { subject: { type: 'user', id: 7 }, resource: PAYROLL, action: ACCESS }],
  ];
  for (const [field, body] of cases) {
    const res = await post(app, '/access/v1/evaluation', body);
    t.equal(res.statusCode, 400, field);
    t.equal((res.json() as { error: { field: string } }).error.field, field);
  }
});

t.test('the response MUST contain the boolean decision; false for everything that is not a permit; 200 for any decision', async (t) => {
  const { app } = await fixtureApp(t);
  const permit = await post(app, '/access/v1/evaluation', { subject: ALICE, resource: PAYROLL, action: ACCESS, context: COMPLIANT });
  const deny = await post(app, '/access/v1/evaluation', { subject: ALICE, resource: PAYROLL, action: ACCESS });
  const mfa = await post(app, '/access/v1/evaluation', { subject: ALICE, resource: { type: 'relying_party', id: 'https://intranet.contoso.com/' }, action: ACCESS });
  for (const [res, expected] of [[permit, true], [deny, false], [mfa, false]] as const) {
    t.equal(res.statusCode, 200);
    t.equal(typeof (res.json() as Result).decision, 'boolean');
    t.equal((res.json() as Result).decision, expected);
  }
});

t.test('unknown fields are ignored at every level (the API may be augmented with new parameters)', async (t) => {
  const { app } = await fixtureApp(t);
  const body = {
    subject: { ...ALICE, email_verified: true },
    resource: { ...PAYROLL, tenant: 'x' },
    action: { ...ACCESS, verb: 'GET' },
    context: { ...COMPLIANT, time: '2026-01-01T00:00:00Z' },
    page: { next_token: '' },
    future_parameter: { anything: [1, 2] },
  };
  const single = await post(app, '/access/v1/evaluation', body);
  t.equal(single.statusCode, 200, single.body);
  t.equal((single.json() as Result).decision, true);
  const batch = await post(app, '/access/v1/evaluations', { ...body, options: { evaluations_semantic: 'execute_all', another_option: 'value' }, evaluations: [{ resource: PAYROLL, extra: 1 }] });
  t.equal(batch.statusCode, 200, batch.body);
  t.same((batch.json() as { evaluations: Result[] }).evaluations.map((e) => e.decision), [true]);
});

t.test('X-Request-ID: the same identifier MUST come back, on decisions and on errors', async (t) => {
  const { app } = await fixtureApp(t);
  const id = 'bfe9eb29-ab87-4ca3-be83-a1d5d8305716';
  const ok = await post(app, '/access/v1/evaluation', { subject: ALICE, resource: PAYROLL, action: ACCESS }, { 'x-request-id': id });
  t.equal(ok.headers['x-request-id'], id);
  const batch = await post(app, '/access/v1/evaluations', { subject: ALICE, action: ACCESS, evaluations: [{ resource: PAYROLL }] }, { 'x-request-id': id });
  t.equal(batch.headers['x-request-id'], id);
  const bad = await post(app, '/access/v1/evaluation', { subject: ALICE }, { 'x-request-id': id });
  t.equal(bad.statusCode, 400);
  t.equal(bad.headers['x-request-id'], id);
  const unauthenticated = await app.inject({ method: 'POST', url: '/access/v1/evaluation', headers: { 'content-type': 'application/json', 'x-request-id': id }, payload: '{}' });
  t.equal(unauthenticated.statusCode, 401);
  t.equal(unauthenticated.headers['x-request-id'], id);
  const none = await post(app, '/access/v1/evaluation', { subject: ALICE, resource: PAYROLL, action: ACCESS });
  t.equal(none.headers['x-request-id'], undefined, 'none invented when the PEP sent none');
});

t.test('evaluations absent: the request behaves as a single Access Evaluation request', async (t) => {
  const { app } = await fixtureApp(t);
  const body = { subject: ALICE, resource: PAYROLL, action: ACCESS, context: COMPLIANT };
  await post(app, '/access/v1/evaluation', body); // warm the device cache: both answers below then say source "cache"
  const single = (await post(app, '/access/v1/evaluation', body)).json() as Result;
  const viaBatch = (await post(app, '/access/v1/evaluations', { subject: ALICE, resource: PAYROLL, action: ACCESS, context: COMPLIANT })).json() as Result;
  t.same(viaBatch, single);
});

t.test('default values: top-level subject/action/resource/context apply to items; an item\'s own value takes precedence', async (t) => {
  const { app } = await fixtureApp(t);
  const res = await post(app, '/access/v1/evaluations', {
    subject: ALICE,
    action: ACCESS,
    resource: PAYROLL,
    context: COMPLIANT,
    evaluations: [{}, { context: {} }, { resource: { type: 'relying_party', id: 'https://intranet.contoso.com/' }, context: {} }, { subject: { type: 'group', id: 'x' } }],
  });
  t.equal(res.statusCode, 200);
  const e = (res.json() as { evaluations: Result[] }).evaluations;
  t.equal(e[0]!.context?.decision, 'permit', 'all four defaults');
  t.equal(e[1]!.context?.decision, 'deny', 'own context (no device) overrides the default');
  t.equal(e[2]!.context?.decision, 'mfa_required', 'own resource overrides the default');
  t.equal(e[3]!.decision, false, 'own subject overrides the default (and is not one this PDP evaluates)');
  t.equal(e[3]!.context?.error?.field, 'evaluations.3.subject.type');
});

t.test('the evaluations response lists the decisions in the order of the request', async (t) => {
  const { app } = await fixtureApp(t);
  const pattern = [true, false, false, true, true, false, true];
  const res = await post(app, '/access/v1/evaluations', { subject: ALICE, action: ACCESS, resource: PAYROLL, evaluations: pattern.map((p) => (p ? { context: COMPLIANT } : {})) });
  t.same((res.json() as { evaluations: Result[] }).evaluations.map((e) => e.decision), pattern);
  t.notOk('decision' in (res.json() as object), 'no top-level decision beside evaluations (RECOMMENDED)');
});

t.test('evaluations_semantic: execute_all is the default; deny_on_first_deny and permit_on_first_permit stop at the first deny / permit', async (t) => {
  const { app } = await fixtureApp(t);
  const items = [{ context: COMPLIANT }, {}, { context: COMPLIANT }];
  const run = async (options?: unknown) =>
    ((await post(app, '/access/v1/evaluations', { subject: ALICE, action: ACCESS, resource: PAYROLL, evaluations: items, ...(options ? { options } : {}) })).json() as { evaluations: Result[] }).evaluations.map((e) => e.decision);
  t.same(await run(), [true, false, true]);
  t.same(await run({ evaluations_semantic: 'execute_all' }), [true, false, true]);
  t.same(await run({ evaluations_semantic: 'deny_on_first_deny' }), [true, false]);
  t.same(await run({ evaluations_semantic: 'permit_on_first_permit' }), [true]);
  // A failed item counts as a deny for deny_on_first_deny ("any denial (error, or decision: false)").
  const failing = await post(app, '/access/v1/evaluations', {
    subject: ALICE,
    action: ACCESS,
    options: { evaluations_semantic: 'deny_on_first_deny' },
    evaluations: [{ resource: PAYROLL, context: COMPLIANT }, { resource: { type: 'relying_party' } }, { resource: PAYROLL, context: COMPLIANT }],
  });
  t.same((failing.json() as { evaluations: Result[] }).evaluations.map((e) => e.decision), [true, false]);
});

t.test('errors in individual evaluations: that item is decision false with the error in its context; the batch is a 200', async (t) => {
  const { app } = await fixtureApp(t);
  const res = await post(app, '/access/v1/evaluations', {
    action: ACCESS,
    evaluations: [
      { subject: ALICE, resource: PAYROLL, context: COMPLIANT },
      { subject: ALICE, resource: { type: 'relying_party' } },
      { resource: PAYROLL },
      { subject: ALICE, resource: PAYROLL, context: { device: { thumbprint: 'nothex' } } },
      { subject: ALICE, resource: PAYROLL, context: { device: { thumbprnt: 'x' } } },
      'not an object',
      { subject: ALICE, resource: { type: 'relying_party', id: 'urn:nobody' } },
      { subject: ALICE, resource: PAYROLL, context: COMPLIANT },
    ],
  });
  t.equal(res.statusCode, 200, res.body);
  const e = (res.json() as { evaluations: Result[] }).evaluations;
  t.same(e.map((x) => x.decision), [true, false, false, false, false, false, false, true]);
  const expectations: [number, number, string | undefined][] = [
    [1, 400, 'evaluations.1.resource.id'],
    [2, 400, 'evaluations.2.subject'],
    [3, 400, undefined],
    [4, 400, 'evaluations.4.context.device.thumbprnt'],
    [5, 400, 'evaluations.5'],
    [6, 404, 'relyingParty'],
  ];
  for (const [i, status, field] of expectations) {
    const error = e[i]!.context?.error;
    t.equal(error?.status, status, `item ${i} status`);
    t.match(error?.code, /^DG_ERR_/, `item ${i} code`);
    t.type(error?.message, 'string');
    if (field !== undefined) t.equal(error?.field, field, `item ${i} field`);
    t.equal(e[i]!.context?.reason_admin?.code, error?.code, `item ${i} reason`);
  }
});

t.test('errors about the whole payload stay transport-level (4xx)', async (t) => {
  const { app } = await fixtureApp(t);
  t.equal((await post(app, '/access/v1/evaluations', { evaluations: 'all of them' })).statusCode, 400);
  t.equal((await post(app, '/access/v1/evaluations', { subject: ALICE, action: ACCESS, evaluations: [{ resource: PAYROLL }], options: { evaluations_semantic: 'some_of_them' } })).statusCode, 400);
  const tooMany = await post(app, '/access/v1/evaluations', { subject: ALICE, action: ACCESS, resource: PAYROLL, evaluations: Array.from({ length: 101 }, () => ({})) });
  t.equal(tooMany.statusCode, 400);
  const unauthenticated = await app.inject({ method: 'POST', url: '/access/v1/evaluations', headers: { 'content-type': 'application/json' }, payload: '{}' });
  t.equal(unauthenticated.statusCode, 401);
});
