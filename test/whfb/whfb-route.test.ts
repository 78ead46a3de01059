import t from 'tap';
import { openScanner } from '../../src/directory/index.js';
import { ADMIN, DECIDE, errorShape, fixtureApp } from '../server/fixture-app.js';
import { WORLD_LDIF, world } from './world.js';

t.test('GET /v1/users/{id}/whfb: the same checks as the CLI, admin scope, bad ids are 400s', async (t) => {
  const whfbScanner = await openScanner({ url: `ldif:${WORLD_LDIF}` });
  const { app } = await fixtureApp(t, { whfbScanner, docs: false });
  const get = (url: string, headers: Record<string, string> = ADMIN) => app.inject({ method: 'GET', url, headers });

  const erin = await get(`/v1/users/${encodeURIComponent('erin@contoso.com')}/whfb`);
  t.equal(erin.statusCode, 200);
  t.equal(erin.json().ok, true);
  t.ok(erin.json().checks.length >= 6);

  const frank = await get(`/v1/users/${encodeURIComponent(world.users.find((u) => u.name === 'frank')!.dn)}/whfb`);
  t.equal(frank.statusCode, 200);
  t.equal(frank.json().ok, false);
  t.match(frank.json().checks.find((c: { status: string }) => c.status === 'fail').fix, /device writeback/);

  const narrowed = await get(`/v1/users/erin%40contoso.com/whfb?device=${world.devices.find((d) => d.slug === 'grace-desktop')!.deviceId}`);
  t.equal(narrowed.json().ok, false);

  const forbidden = await get('/v1/users/erin%40contoso.com/whfb', DECIDE);
  t.equal(forbidden.statusCode, 403);
  const bad = await get('/v1/users/not-a-user/whfb');
  t.equal(bad.statusCode, 400);
  t.equal(errorShape(bad.json())?.field, 'id');
  const badDevice = await get('/v1/users/erin%40contoso.com/whfb?device=x');
  t.equal(badDevice.statusCode, 400);
  t.equal(errorShape(badDevice.json())?.field, 'device');
  const extra = await get('/v1/users/erin%40contoso.com/whfb?evil=1');
  t.equal(extra.statusCode, 400);
});

t.test('without a scanner the route does not exist', async (t) => {
  const { app } = await fixtureApp(t, { docs: false });
  t.equal((await app.inject({ method: 'GET', url: '/v1/users/erin%40contoso.com/whfb', headers: ADMIN })).statusCode, 404);
});
