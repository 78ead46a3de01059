import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DECIDE, ROOT, fixtureApp } from './fixture-app.js';

const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/devices.json'), 'utf8')) as { devices: { slug: string; thumbprint: string }[] };
const thumbprintOf = (slug: string): string => manifest.devices.find((d) => d.slug === slug)!.thumbprint;

const PAYROLL = { type: 'relying_party', id: 'https://payroll.contoso.com/' };
const INTRANET = { type: 'relying_party', id: 'https://intranet.contoso.com/' };
const ALICE = { type: 'user', id: 'alice@contoso.com' };
const ACCESS = { name: 'access' };
const COMPLIANT = { device: { thumbprint: thumbprintOf('hybrid-compliant') } };

interface Result { decision: boolean; context: { decision?: string; reason_admin?: { code: string; message: string }; device?: { status: string }; policy_revision?: string; error?: { status: number; code: string } } }

async function post(app: Awaited<ReturnType<typeof fixtureApp>>['app'], url: string, body: unknown) {
  return app.inject({ method: 'POST', url, headers: { ...DECIDE, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
}

t.test('single evaluation: boolean decision, our reason and device in context', async (t) => {
  const { app, engine } = await fixtureApp(t);
  const permit = await post(app, '/access/v1/evaluation', { subject: ALICE, resource: PAYROLL, action: ACCESS, context: COMPLIANT });
  t.equal(permit.statusCode, 200, permit.body);
  const p = permit.json() as Result;
  t.equal(p.decision, true);
  t.equal(p.context.decision, 'permit');
  t.equal(p.context.device?.status, 'known');
  t.equal(p.context.policy_revision, engine.revision);
  t.type(p.context.reason_admin?.code, 'string');
  t.same(Object.keys(p).sort(), ['context', 'decision']);

  const mfa = (await post(app, '/access/v1/evaluation', { subject: ALICE, resource: INTRANET, action: ACCESS })).json() as Result;
  t.equal(mfa.decision, false, 'mfa_required is decision false');
  t.equal(mfa.context.decision, 'mfa_required');
  t.equal(mfa.context.device?.status, 'not_presented');

  const deny = (await post(app, '/access/v1/evaluation', { subject: ALICE, resource: PAYROLL, action: ACCESS })).json() as Result;
  t.equal(deny.decision, false);
  t.equal(deny.context.decision, 'deny');
});

t.test('subject claims and context claims both reach the rules', async (t) => {
  const { app } = await fixtureApp(t);
  const extranet = { type: 'relying_party', id: 'https://extranet.contoso.com/' };
  const inside = { type: 'http://schemas.microsoft.com/ws/2012/01/insidecorporatenetwork', value: 'true' };
  const viaSubject = (await post(app, '/access/v1/evaluation', { subject: { ...ALICE, properties: { claims: [inside] } }, resource: extranet, action: ACCESS })).json() as Result;
  t.equal(viaSubject.context.decision, 'permit');
  const viaContext = (await post(app, '/access/v1/evaluation', { subject: ALICE, resource: extranet, action: ACCESS, context: { claims: [inside] } })).json() as Result;
  t.equal(viaContext.context.decision, 'permit');
  const outside = (await post(app, '/access/v1/evaluation', { subject: ALICE, resource: extranet, action: ACCESS, context: { claims: [{ ...inside, value: 'false' }] } })).json() as Result;
  t.equal(outside.context.decision, 'mfa_required');
});

t.test('open attribute bags: unknown properties and context attributes are accepted and ignored', async (t) => {
  const { app } = await fixtureApp(t);
  const plain = (await post(app, '/access/v1/evaluation', { subject: ALICE, resource: PAYROLL, action: ACCESS, context: COMPLIANT })).json() as Result;
  const res = await post(app, '/access/v1/evaluation', {
    subject: { ...ALICE, properties: { department: 'Sales' } },
    resource: { ...PAYROLL, properties: { sensitivity: 'high' } },
    action: { ...ACCESS, properties: { method: 'GET' } },
    context: { ...COMPLIANT, time: '2026-11-20T10:00:00Z', ip: '10.1.2.3' },
  });
  t.equal(res.statusCode, 200);
  const withBags = res.json() as Result;
  t.equal(withBags.decision, plain.decision);
  t.equal(withBags.context.decision, plain.context.decision);
  t.equal(withBags.context.decision, 'permit');
});

t.test('batch: top-level values are defaults, items override them', async (t) => {
  const { app } = await fixtureApp(t);
  const res = await post(app, '/access/v1/evaluations', {
    subject: ALICE,
    action: ACCESS,
    resource: PAYROLL,
    evaluations: [{ context: COMPLIANT }, {}, { resource: INTRANET }, { resource: INTRANET, context: COMPLIANT }],
  });
  t.equal(res.statusCode, 200, res.body);
  const { evaluations } = res.json() as { evaluations: Result[] };
  t.same(evaluations.map((e) => e.context.decision), ['permit', 'deny', 'mfa_required', 'permit']);
  t.same(evaluations.map((e) => e.decision), [true, false, false, true]);
});

t.test('batch semantics', async (t) => {
  const { app } = await fixtureApp(t);
  // deny, permit, deny, permit
  const items = [{}, { context: COMPLIANT }, {}, { context: COMPLIANT }];
  const table: [string | undefined, boolean[]][] = [
    [undefined, [false, true, false, true]],
    ['execute_all', [false, true, false, true]],
    ['deny_on_first_deny', [false]],
    ['permit_on_first_permit', [false, true]],
  ];
  for (const [semantic, expected] of table) {
    const body = { subject: ALICE, action: ACCESS, resource: PAYROLL, evaluations: items, ...(semantic ? { options: { evaluations_semantic: semantic } } : {}) };
    const { evaluations } = (await post(app, '/access/v1/evaluations', body)).json() as { evaluations: Result[] };
    t.same(evaluations.map((e) => e.decision), expected, semantic ?? 'default');
  }
  const permits = [{ context: COMPLIANT }, { context: COMPLIANT }, {}];
  const { evaluations } = (await post(app, '/access/v1/evaluations', { subject: ALICE, action: ACCESS, resource: PAYROLL, evaluations: permits, options: { evaluations_semantic: 'deny_on_first_deny' } })).json() as { evaluations: Result[] };
  t.same(evaluations.map((e) => e.decision), [true, true, false], 'deny_on_first_deny includes the deny that stopped it');
});

t.test('batch: an unknown relying party fails that item only', async (t) => {
  const { app } = await fixtureApp(t);
  const res = await post(app, '/access/v1/evaluations', {
    subject: ALICE,
    action: ACCESS,
    evaluations: [{ resource: { type: 'relying_party', id: 'urn:nobody' } }, { resource: PAYROLL, context: COMPLIANT }],
  });
  t.equal(res.statusCode, 200);
  const { evaluations } = res.json() as { evaluations: Result[] };
  t.equal(evaluations[0]!.decision, false);
  t.equal(evaluations[0]!.context.error?.status, 404);
  t.match(evaluations[0]!.context.error?.code, /^DG_ERR_/);
  t.equal(evaluations[1]!.decision, true);
});

t.test('batch without evaluations answers as a single evaluation', async (t) => {
  const { app } = await fixtureApp(t);
  const res = (await post(app, '/access/v1/evaluations', { subject: ALICE, action: ACCESS, resource: PAYROLL, context: COMPLIANT })).json() as Result;
  t.equal(res.decision, true);
  t.equal(res.context.decision, 'permit');
});

t.test('discovery: the PDP identifier is configured (or the listen address), never the Host header', async (t) => {
  const { app } = await fixtureApp(t, { policyDecisionPoint: 'https://pdp.contoso.com/' });
  const res = await app.inject({ method: 'GET', url: '/.well-known/authzen-configuration', headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' } });
  t.equal(res.statusCode, 200);
  t.same(res.json(), {
    policy_decision_point: 'https://pdp.contoso.com',
    access_evaluation_endpoint: 'https://pdp.contoso.com/access/v1/evaluation',
    access_evaluations_endpoint: 'https://pdp.contoso.com/access/v1/evaluations',
  });
  t.notMatch(res.body, /evil/);

  // Unconfigured: derived from the address the app listens on.
  const { app: plain } = await fixtureApp(t);
  const address = await plain.listen({ host: '127.0.0.1', port: 0 });
  const derived = await plain.inject({ method: 'GET', url: '/.well-known/authzen-configuration', headers: { host: 'evil.example' } });
  t.equal((derived.json() as { policy_decision_point: string }).policy_decision_point, address);
});
