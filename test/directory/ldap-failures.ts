// Failure cases shared by the slapd and Samba suites: bind, unreachable, hanging and dying DCs, failover.
import type { Test } from 'tap';
import { openDirectory, type DeviceDirectory } from '../../src/directory/index.js';
import { freePort, startSilentServer } from '../harness/index.js';
import type { FixtureSpec } from './directory-cases.js';

export interface LiveServer {
  readonly url: string;
  readonly bindDn: string;
  readonly password: string;
}

export function ldapFailureCases(t: Test, server: () => LiveServer, spec: FixtureSpec): void {
  const deviceId = () => spec.devices[0]!.deviceId;

  t.test('wrong bind password -> DG_ERR_DIRECTORY_BIND without the password', async (t) => {
    const password = 'Wr0ng-Secret-Value!';
    const dir = await openDirectory({ url: server().url, bindDn: server().bindDn, password, timeoutMs: 3000 });
    t.teardown(() => dir.close());
    const error = await dir.find({ kind: 'deviceId', deviceId: deviceId() }).then(() => undefined, (e: unknown) => e);
    t.match(error, { code: 'DG_ERR_DIRECTORY_BIND', statusCode: 503 });
    const text = `${String((error as Error).message)} ${JSON.stringify(error)} ${String((error as Error).stack)}`;
    t.notOk(text.includes(password), 'password not in message, fields or stack');
    t.match((error as Error).message, /invalid credentials/);
    const health = await dir.health();
    t.notOk(JSON.stringify(health).includes(password), 'password not in health');
  });

  t.test('unreachable DC (closed port) fails fast with DG_ERR_DIRECTORY_UNAVAILABLE', async (t) => {
    const port = await freePort();
    const dir = await openDirectory({ url: `ldap://127.0.0.1:${port}`, bindDn: server().bindDn, password: server().password, timeoutMs: 1500 });
    t.teardown(() => dir.close());
    const started = Date.now();
    await t.rejects(dir.find({ kind: 'deviceId', deviceId: deviceId() }), { code: 'DG_ERR_DIRECTORY_UNAVAILABLE' });
    t.ok(Date.now() - started < 1500, `failed within the timeout (${Date.now() - started} ms)`);
    const health = await dir.health();
    t.equal(health.ok, false);
    t.equal(health.servers?.[0]?.ok, false);
  });

  t.test('a DC that accepts but never answers fails within the timeout', async (t) => {
    const silent = await startSilentServer();
    t.teardown(() => silent.close());
    const dir = await openDirectory({ url: silent.url, bindDn: server().bindDn, password: server().password, timeoutMs: 400 });
    t.teardown(() => dir.close());
    const started = Date.now();
    await t.rejects(dir.find({ kind: 'deviceId', deviceId: deviceId() }), { code: 'DG_ERR_DIRECTORY_TIMEOUT' });
    const elapsed = Date.now() - started;
    t.ok(elapsed < 400 + 300, `rejected after ${elapsed} ms (timeout 400 ms)`);
  });

  t.test('failover: a dead first URL, then a live one', async (t) => {
    const dead = await freePort();
    const silent = await startSilentServer();
    t.teardown(() => silent.close());
    const dir = await openDirectory({ url: `ldap://127.0.0.1:${dead},${server().url}`, bindDn: server().bindDn, password: server().password, timeoutMs: 2000 });
    t.teardown(() => dir.close());
    const found = await dir.find({ kind: 'deviceId', deviceId: deviceId() });
    t.equal(found?.deviceId, deviceId());
    // The dead DC is now tried last; the next look-up goes straight to the live one.
    const again = await dir.find({ kind: 'deviceId', deviceId: deviceId() });
    t.equal(again?.deviceId, deviceId());
    const health = await dir.health();
    t.same(health.servers?.map((s) => s.ok), [false, true]);
    t.equal(health.ok, true);
    // A hanging DC first: with the attempt timeout equal to the budget, nothing is left for the next DC.
    const dir2 = await openDirectory({ url: `${silent.url},${server().url}`, bindDn: server().bindDn, password: server().password, timeoutMs: 500 });
    t.teardown(() => dir2.close());
    await t.rejects(dir2.find({ kind: 'deviceId', deviceId: deviceId() }), { code: 'DG_ERR_DIRECTORY_TIMEOUT' });
    const after = await dir2.find({ kind: 'deviceId', deviceId: deviceId() });
    t.equal(after?.deviceId, deviceId(), 'the next look-up skips the DC out of rotation');
    // With a per-DC attempt timeout below the budget, the same request goes on to the next DC.
    const dir3 = await openDirectory({ url: `${silent.url},${server().url}`, bindDn: server().bindDn, password: server().password, timeoutMs: 5000, attemptTimeoutMs: 300 });
    t.teardown(() => dir3.close());
    const started = Date.now();
    t.equal((await dir3.find({ kind: 'deviceId', deviceId: deviceId() }))?.deviceId, deviceId(), 'answered by the second DC in the same request');
    t.ok(Date.now() - started < 300 + 2000, `after ${Date.now() - started} ms (one 300 ms attempt on the hung DC)`);
    t.match((await dir3.health()).servers, [{ ok: false, breaker: 'open' }, { ok: true, breaker: 'closed' }]);
  });
}

/** Opens a directory on a live server with the fixture's service account. */
export function openLive(server: LiveServer, extra: { timeoutMs?: number; poolSize?: number } = {}): Promise<DeviceDirectory> {
  return openDirectory({ url: server.url, bindDn: server.bindDn, password: server.password, timeoutMs: extra.timeoutMs ?? 5000, poolSize: extra.poolSize ?? 2 });
}
