import t from 'tap';
import { ADMIN, DECIDE, errorShape, fixtureApp } from './fixture-app.js';

const RP = 'https://payroll.contoso.com/';
const EVAL = { subject: { type: 'user', id: 'alice@contoso.com' }, resource: { type: 'relying_party', id: RP }, action: { name: 'access' } };

const PROTECTED: readonly { method: 'GET' | 'POST'; url: string; body?: unknown; scope: 'decide' | 'admin' }[] = [
  { method: 'POST', url: '/v1/decisions', body: { relyingParty: RP }, scope: 'decide' },
  { method: 'POST', url: '/access/v1/evaluation', body: EVAL, scope: 'decide' },
  { method: 'POST', url: '/access/v1/evaluations', body: { ...EVAL, evaluations: [{}] }, scope: 'decide' },
  { method: 'GET', url: `/v1/devices/${'AB'.repeat(20)}`, scope: 'decide' },
  { method: 'GET', url: '/v1/relying-parties', scope: 'decide' },
  { method: 'POST', url: '/v1/admin/reload', scope: 'admin' },
  { method: 'POST', url: '/v1/admin/cache/purge', body: {}, scope: 'admin' },
];

const PUBLIC = ['/healthz', '/readyz', '/metrics', '/docs/json', '/.well-known/authzen-configuration'];

t.test('protected routes: no token 401, wrong token 401, wrong scope 403, right scope passes', async (t) => {
  const { app } = await fixtureApp(t);
  for (const route of PROTECTED) {
    const send = (headers: Record<string, string>) =>
      app.inject({
        method: route.method,
        url: route.url,
        headers: { ...headers, ...(route.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(route.body !== undefined ? { payload: JSON.stringify(route.body) } : {}),
      });
    const none = await send({});
    t.equal(none.statusCode, 401, `${route.url} without token`);
    t.equal(none.headers['www-authenticate'], 'Bearer');
    t.equal(errorShape(none.json())?.code, 'DG_ERR_SERVER_UNAUTHENTICATED');
    t.notMatch(none.body, /"decision"|relyingParties|revision/, 'no route output on 401');
    for (const header of ['Bearer wrong-token', 'Basic dGVzdDp0ZXN0', 'test-decide-token', 'Bearer ', `Bearer ${'test-decide-token'}x`]) {
      t.equal((await send({ authorization: header })).statusCode, 401, `${route.url} with ${header}`);
    }
    const decide = await send(DECIDE);
    if (route.scope === 'admin') {
      t.equal(decide.statusCode, 403, `${route.url} with decide scope`);
      t.equal(errorShape(decide.json())?.code, 'DG_ERR_SERVER_FORBIDDEN');
    } else {
      t.ok(decide.statusCode !== 401 && decide.statusCode !== 403, `${route.url} with decide scope passes auth (${decide.statusCode})`);
    }
    const admin = await send(ADMIN);
    t.ok(admin.statusCode !== 401 && admin.statusCode !== 403, `${route.url} admin implies decide (${admin.statusCode})`);
  }
});

t.test('public routes need no token', async (t) => {
  const { app } = await fixtureApp(t);
  for (const url of PUBLIC) {
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 200, url);
  }
});

t.test('auth runs before body parsing: an unauthenticated huge or non-JSON body is a 401', async (t) => {
  const { app } = await fixtureApp(t);
  const huge = await app.inject({ method: 'POST', url: '/v1/decisions', headers: { 'content-type': 'application/json' }, payload: 'x'.repeat(200_000) });
  t.equal(huge.statusCode, 401);
  const xml = await app.inject({ method: 'POST', url: '/v1/decisions', headers: { 'content-type': 'application/xml' }, payload: '<x/>' });
  t.equal(xml.statusCode, 401);
});

t.test('without configured tokens one admin token is generated and handed over once', async (t) => {
  const seen: string[] = [];
  const { app } = await fixtureApp(t, { auth: { onGeneratedToken: (token) => seen.push(token) } });
  t.equal(seen.length, 1, 'handed over exactly once');
  const token = seen[0]!;
  t.match(token, /^dg_[A-Za-z0-9_-]{40,}$/);
  const reload = await app.inject({ method: 'POST', url: '/v1/admin/reload', headers: { authorization: `Bearer ${token}` } });
  t.equal(reload.statusCode, 200, 'the generated token has admin scope');
  const other = await app.inject({ method: 'GET', url: '/v1/relying-parties', headers: DECIDE });
  t.equal(other.statusCode, 401, 'configured-token fixtures are not accepted');
  t.equal(seen.length, 1, 'not handed over again');
});

t.test('two apps built without tokens get different tokens', async (t) => {
  const seen: string[] = [];
  await fixtureApp(t, { auth: { onGeneratedToken: (token) => seen.push(token) } });
  await fixtureApp(t, { auth: { onGeneratedToken: (token) => seen.push(token) } });
  t.equal(seen.length, 2);
  t.not(seen[0], seen[1]);
});
