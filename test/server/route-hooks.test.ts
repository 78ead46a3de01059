import t from 'tap';
import { DECIDE, errorShape, fixtureApp } from './fixture-app.js';

t.test('auth runs before the rate limit: callers with a bad token get 401s and never spend a budget', async (t) => {
  const { app } = await fixtureApp(t, { limits: { rateLimit: { max: 2, windowMs: 60_000 } } });
  const bad = { authorization: 'Bearer not-a-token' };
  const codes: number[] = [];
  for (let i = 0; i < 4; i++) codes.push((await app.inject({ method: 'GET', url: '/v1/relying-parties', headers: bad })).statusCode);
  t.same(codes, [401, 401, 401, 401]);
  const good: number[] = [];
  for (let i = 0; i < 3; i++) good.push((await app.inject({ method: 'GET', url: '/v1/relying-parties', headers: DECIDE })).statusCode);
  t.same(good, [200, 200, 429]);
});

t.test('public routes ignore the authorization header entirely', async (t) => {
  const { app } = await fixtureApp(t, { limits: { rateLimit: { max: 1, windowMs: 60_000 } } });
  for (const url of ['/healthz', '/readyz', '/metrics', '/.well-known/authzen-configuration']) {
    for (let i = 0; i < 2; i++) {
      const res = await app.inject({ method: 'GET', url, headers: { authorization: 'Bearer not-a-token' } });
      t.equal(res.statusCode, 200, `${url} #${i + 1}`);
    }
  }
});

t.test('HEAD on a protected GET route is protected too', async (t) => {
  const { app } = await fixtureApp(t);
  const res = await app.inject({ method: 'HEAD', url: '/v1/relying-parties' });
  t.equal(res.statusCode, 401);
  t.equal((await app.inject({ method: 'HEAD', url: '/v1/relying-parties', headers: DECIDE })).statusCode, 200);
});

t.test('unknown routes are 404s with or without a token', async (t) => {
  const { app } = await fixtureApp(t);
  for (const headers of [{}, DECIDE]) {
    const res = await app.inject({ method: 'GET', url: '/v1/nothing-here', headers });
    t.equal(res.statusCode, 404);
    t.equal(errorShape(res.json())?.code, 'DG_ERR_SERVER_NOT_FOUND');
  }
});
