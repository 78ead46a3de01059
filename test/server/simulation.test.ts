import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DECIDE, ROOT, fixtureApp } from './fixture-app.js';

const expired = readFileSync(join(ROOT, 'fixtures/devices/expired-cert.crt.pem'), 'utf8');
const PAYROLL = 'https://payroll.contoso.com/';

type App = Awaited<ReturnType<typeof fixtureApp>>['app'];
const post = (app: App, body: unknown) =>
  app.inject({ method: 'POST', url: '/v1/decisions', headers: { ...DECIDE, 'content-type': 'application/json' }, payload: JSON.stringify(body) });

t.test('"at" only with "simulate": true, RFC 3339 only; the answer is marked as a simulation', async (t) => {
  const { app } = await fixtureApp(t);
  const noFlag = await post(app, { relyingParty: PAYROLL, at: '2021-06-01T00:00:00Z' });
  t.equal(noFlag.statusCode, 400);
  t.match(noFlag.json(), { error: { code: 'DG_ERR_SERVER_INVALID_REQUEST', field: 'at', message: /needs "simulate": true/ } });
  const flagFalse = await post(app, { relyingParty: PAYROLL, simulate: false, at: '2021-06-01T00:00:00Z' });
  t.equal(flagFalse.statusCode, 400);
  for (const bad of ['2021-06-01', '2021-06-01T00:00:00', 'June 1, 2021', '2021-13-01T00:00:00Z', '2021-06-01 00:00:00Z', '1622505600000', '2021-W22-2T00:00:00Z']) {
    const res = await post(app, { relyingParty: PAYROLL, simulate: true, at: bad });
    t.equal(res.statusCode, 400, bad);
    t.equal((res.json() as { error: { field: string } }).error.field, 'at', bad);
  }

  // Now: the expired certificate makes the device untrusted. In 2021 it was valid (and the device known).
  const now = (await post(app, { relyingParty: PAYROLL, device: { certificate: expired } })).json() as Record<string, unknown>;
  t.equal((now.device as { status: string }).status, 'untrusted_certificate');
  t.equal(now.simulation, undefined, 'an enforcement answer carries no simulation');
  const res = await post(app, { relyingParty: PAYROLL, device: { certificate: expired }, simulate: true, at: '2021-06-01T02:00:00+02:00' });
  t.equal(res.statusCode, 200, res.body);
  const then = res.json() as Record<string, unknown>;
  t.same(then.simulation, { at: '2021-06-01T00:00:00.000Z' });
  t.not((then.device as { status: string }).status, 'untrusted_certificate');

  const simulatedNow = (await post(app, { relyingParty: PAYROLL, simulate: true })).json() as { simulation: { at: string } };
  t.ok(Math.abs(Date.parse(simulatedNow.simulation.at) - Date.now()) < 60_000, 'simulate without at: as of now, still marked');
});
