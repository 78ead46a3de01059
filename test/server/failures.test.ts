import t from 'tap';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { openLdifDirectory } from '../../src/directory/index.js';
import { createDecisionEngine, PolicyError, type DecisionEngine } from '../../src/policy/index.js';
import { ADMIN, DECIDE, LDIF, RULES, errorShape, fixtureApp } from './fixture-app.js';

const json = { ...DECIDE, 'content-type': 'application/json' };
const PAYROLL = 'https://payroll.contoso.com/';

/** The real engine, with decide (and its synchronous-when-it-can twin decideNow) replaced for one failure mode. */
async function engineThat(t: { teardown(fn: () => unknown): void }, decide: DecisionEngine['decide']): Promise<DecisionEngine> {
  const directory = await openLdifDirectory(LDIF);
  t.teardown(() => directory.close());
  const engine = await createDecisionEngine({ rulesDir: RULES, directory });
  return new Proxy(engine, { get: (target, p) => (p === 'decide' || p === 'decideNow' ? decide : bound(target, p)) }) as DecisionEngine;
}

/** Engine methods use #private fields: call them on the engine, not the proxy. */
function bound(target: object, p: string | symbol): unknown {
  const value: unknown = Reflect.get(target, p);
  return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
}

t.test('onDirectoryError "error": the engine\'s 503 passes through as a 503 error body', async (t) => {
  const engine = await engineThat(t, async () => {
    throw new PolicyError('DG_ERR_POLICY_DIRECTORY_UNAVAILABLE', 'the directory is unavailable');
  });
  const { app } = await fixtureApp(t, { engine });
  const res = await app.inject({ method: 'POST', url: '/v1/decisions', headers: json, payload: JSON.stringify({ relyingParty: PAYROLL }) });
  t.equal(res.statusCode, 503);
  t.same(res.json(), { error: { code: 'DG_ERR_POLICY_DIRECTORY_UNAVAILABLE', message: 'the directory is unavailable' } });
});

t.test('an unexpected error is a generic 500 with a log line, no stack, no message', async (t) => {
  const secret = 'ldap bind CN=svc,DC=contoso password=hunter2';
  const engine = await engineThat(t, async () => {
    throw new TypeError(secret);
  });
  let logged = '';
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      logged += chunk.toString();
      done();
    },
  });
  const { app } = await fixtureApp(t, { engine, logger: pino({ level: 'error' }, sink) });
  const res = await app.inject({ method: 'POST', url: '/v1/decisions', headers: json, payload: JSON.stringify({ relyingParty: PAYROLL }) });
  t.equal(res.statusCode, 500);
  t.same(res.json(), { error: { code: 'DG_ERR_SERVER_INTERNAL', message: 'internal error' } });
  t.match(logged, /unexpected error/);
  t.match(logged, /TypeError/, 'the log has the cause');
});

t.test('the authorization header and certificates are redacted from logs', async (t) => {
  let logged = '';
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      logged += chunk.toString();
      done();
    },
  });
  const { loggerOptions } = await import('../../src/server/index.js');
  const logger = pino(loggerOptions('trace'), sink);
  const { app } = await fixtureApp(t, { logger });
  await app.inject({ method: 'POST', url: '/v1/decisions', headers: json, payload: JSON.stringify({ relyingParty: PAYROLL }) });
  logger.info({ req: { headers: { authorization: 'Bearer test-decide-token' } }, body: { device: { certificate: 'MIIB-secret' } }, password: 'pw' }, 'probe');
  t.match(logged, /probe/);
  t.notMatch(logged, /test-decide-token/);
  t.notMatch(logged, /MIIB-secret/);
  t.notMatch(logged, /"pw"/);
});

t.test('rate limit: 429 with Retry-After past the per-caller budget', async (t) => {
  const { app } = await fixtureApp(t, { limits: { rateLimit: { max: 2, windowMs: 60_000 } } });
  const codes: number[] = [];
  for (let i = 0; i < 4; i++) {
    codes.push((await app.inject({ method: 'GET', url: '/v1/relying-parties', headers: DECIDE })).statusCode);
  }
  t.same(codes, [200, 200, 429, 429]);
  const limited = await app.inject({ method: 'GET', url: '/v1/relying-parties', headers: DECIDE });
  t.equal(errorShape(limited.json())?.code, 'DG_ERR_SERVER_RATE_LIMITED');
  t.ok(Number(limited.headers['retry-after']) >= 1);
  t.equal((await app.inject({ method: 'GET', url: '/v1/relying-parties', headers: ADMIN })).statusCode, 200, 'another caller has its own budget');
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'probes are not limited');
});

t.test('body limit is configurable', async (t) => {
  const { app } = await fixtureApp(t, { limits: { bodyLimit: 100 } });
  const res = await app.inject({ method: 'POST', url: '/v1/decisions', headers: json, payload: JSON.stringify({ relyingParty: PAYROLL, claims: [{ type: 'x', value: 'y'.repeat(200) }] }) });
  t.equal(res.statusCode, 413);
});

t.test('closing the app closes the engine; requests after close are refused', async (t) => {
  let closed = 0;
  const directory = await openLdifDirectory(LDIF);
  t.teardown(() => directory.close());
  const real = await createDecisionEngine({ rulesDir: RULES, directory });
  const engine = new Proxy(real, {
    get: (target, p) =>
      p === 'close'
        ? async () => {
            closed++;
            await target.close();
          }
        : bound(target, p),
  }) as DecisionEngine;
  const { close } = await fixtureApp(t, { engine });
  await close();
  t.equal(closed, 1);
});

t.test('back-pressure: 503 with Retry-After and our error body; liveness and metrics still answer', async (t) => {
  const { app } = await fixtureApp(t, { limits: { maxEventLoopDelayMs: 0, maxHeapUsedBytes: 1, retryAfterSeconds: 7 } });
  // back-pressure samples the process on a timer started when the app is ready; wait for the first sample.
  await app.ready();
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const res = await app.inject({ method: 'POST', url: '/v1/decisions', headers: json, payload: JSON.stringify({ relyingParty: PAYROLL }) });
  t.equal(res.statusCode, 503);
  t.equal(res.headers['retry-after'], '7');
  t.equal(errorShape(res.json())?.code, 'DG_ERR_SERVER_OVERLOADED');
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  t.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 200);
});
