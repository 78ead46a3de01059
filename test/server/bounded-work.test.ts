/**
 * Issue 8 items 3-4 (behaviour, not timing): over-limit bodies, Expect: 100-continue, slow bodies and
 * headers, idle keep-alive, the connection cap, the bound on decisions in flight, /readyz's cached
 * state and the start-up false 503. Real sockets where the point is the socket; inject() otherwise.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { openDirectory, openLdifDirectory, type DeviceDirectory } from '../../src/directory/index.js';
import { createDecisionEngine } from '../../src/policy/index.js';
import { backPressurePlugin, type PressureSample } from '../../src/server/back-pressure-plugin.js';
import { startSilentServer } from '../harness/index.js';
import { DECIDE, DECIDE_TOKEN, LDIF, ROOT, RULES, errorShape, fixtureApp } from './fixture-app.js';

const PAYROLL = 'https://payroll.contoso.com/';
const PERMIT_BODY = JSON.stringify({ relyingParty: PAYROLL, device: { thumbprint: '0058DF301BC35E03A80EC24DB632FACF52D05041' } });
const json = { ...DECIDE, 'content-type': 'application/json' };

async function listen(app: { listen(o: { host: string; port: number }): Promise<string> }): Promise<number> {
  return Number(new URL(await app.listen({ host: '127.0.0.1', port: 0 })).port);
}

/** One ordinary decision over a fresh connection: the service is up and still right. */
async function ordinaryDecision(port: number): Promise<{ status: number; decision?: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/decisions`, { method: 'POST', headers: { ...json, connection: 'close' }, body: PERMIT_BODY });
  const body = (await res.json()) as { decision?: string };
  return { status: res.status, ...(body.decision !== undefined ? { decision: body.decision } : {}) };
}

/** Everything the server sends on a raw socket until it closes it (or `giveUpMs` passes). */
function collect(socket: Socket, giveUpMs: number): Promise<{ text: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closedByServer: false });
    }, giveUpMs);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedByServer: true });
    });
  });
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

t.test('an over-limit body is a 413, and the next ordinary request is answered', async (t) => {
  const { app } = await fixtureApp(t);
  const port = await listen(app);
  const big = JSON.stringify({ relyingParty: PAYROLL, claims: [{ type: 'x', value: 'a'.repeat(66 * 1024) }] });
  const res = await fetch(`http://127.0.0.1:${port}/v1/decisions`, { method: 'POST', headers: json, body: big });
  t.equal(res.status, 413);
  t.equal(errorShape(await res.json())?.code, 'DG_ERR_SERVER_BODY_TOO_LARGE');
  t.same(await ordinaryDecision(port), { status: 200, decision: 'permit' });
});

t.test('an over-limit Content-Length is answered 413 before any of the body is sent', async (t) => {
  const { app } = await fixtureApp(t);
  const port = await listen(app);
  const socket = await openSocket(port);
  // Headers only: a slow sender that has not started its 66 KB body yet.
  socket.write(`POST /v1/decisions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${DECIDE_TOKEN}\r\ncontent-type: application/json\r\ncontent-length: ${66 * 1024}\r\n\r\n`);
  const first = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString('latin1'))));
  t.match(first, /^HTTP\/1\.1 413/);
  t.match(first, /DG_ERR_SERVER_BODY_TOO_LARGE/);
  socket.destroy();
  t.same(await ordinaryDecision(port), { status: 200, decision: 'permit' });
});

t.test('Expect: 100-continue with a body over the limit gets its 413, never 100 Continue (Node client)', async (t) => {
  const { app } = await fixtureApp(t);
  const port = await listen(app);
  const length = 2 * 1024 * 1024;
  let continued = false;
  const response = await new Promise<{ status: number; body: string; connection: string | undefined }>((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v1/decisions',
      headers: { ...json, expect: '100-continue', 'content-length': String(length) },
    });
    req.on('continue', () => {
      continued = true;
      req.end(Buffer.alloc(length, 0x20));
    });
    req.on('response', (res: IncomingMessage) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.flushHeaders();
  });
  t.equal(continued, false, 'no 100 Continue');
  t.equal(response.status, 413);
  t.equal(errorShape(JSON.parse(response.body))?.code, 'DG_ERR_SERVER_BODY_TOO_LARGE');
  t.equal(response.connection, 'close');
  t.same(await ordinaryDecision(port), { status: 200, decision: 'permit' });
});

t.test('Expect: 100-continue within the limit gets 100 Continue and its decision', async (t) => {
  const { app } = await fixtureApp(t);
  const port = await listen(app);
  let continued = false;
  const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v1/decisions',
      headers: { ...json, expect: '100-continue', 'content-length': String(Buffer.byteLength(PERMIT_BODY)) },
    });
    req.on('continue', () => {
      continued = true;
      req.end(PERMIT_BODY);
    });
    req.on('response', (res: IncomingMessage) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.flushHeaders();
  });
  t.equal(continued, true);
  t.equal(response.status, 200);
  t.equal((JSON.parse(response.body) as { decision: string }).decision, 'permit');
});

const curl = spawnSync('curl', ['--version']).status === 0;
t.test('curl with its default Expect: 100-continue and a 2 MB body sees the 413', { skip: curl ? false : 'curl is not installed' }, async (t) => {
  const { app } = await fixtureApp(t);
  const port = await listen(app);
  const dir = mkdtempSync(join(tmpdir(), 'dg-2mb-'));
  const file = join(dir, 'body.json');
  writeFileSync(file, JSON.stringify({ relyingParty: PAYROLL, claims: [{ type: 'x', value: 'a'.repeat(2 * 1024 * 1024) }] }));
  // Async: the server runs in this process, so spawnSync would block it.
  const { spawn } = await import('node:child_process');
  const child = spawn('curl', ['-sS', '-o', '-', '-w', '\n%{http_code}', '-H', 'Expect: 100-continue', '-H', 'content-type: application/json', '-H', `authorization: Bearer ${DECIDE_TOKEN}`, '--data-binary', `@${file}`, `http://127.0.0.1:${port}/v1/decisions`]);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(code, 0, `curl exits 0 (${err.trim()})`);
  const lines = out.trim().split('\n');
  t.equal(lines.at(-1), '413');
  t.equal(errorShape(JSON.parse(lines[0] ?? '{}'))?.code, 'DG_ERR_SERVER_BODY_TOO_LARGE');
  t.same(await ordinaryDecision(port), { status: 200, decision: 'permit' });
});

t.test('a body sent one byte at a time is cut off by the request timeout (408, connection closed)', async (t) => {
  const { app } = await fixtureApp(t, { limits: { maxEventLoopDelayMs: 0, requestTimeoutMs: 1000, headersTimeoutMs: 500 } });
  const port = await listen(app);
  const socket = await openSocket(port);
  const length = 200;
  socket.write(`POST /v1/decisions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${DECIDE_TOKEN}\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`);
  let sent = 0;
  const drip = setInterval(() => {
    if (socket.destroyed || sent >= length) return;
    socket.write(' ');
    sent++;
  }, 200);
  // 200 bytes at 5 per second would take 40 s: the server must end it long before.
  const result = await collect(socket, 30_000);
  clearInterval(drip);
  t.equal(result.closedByServer, true, 'the server closed the connection');
  t.ok(sent < length, `closed before the body was complete (${sent}/${length} bytes sent)`);
  t.match(result.text, /^HTTP\/1\.1 408/, 'answered 408 Request Timeout');
  t.same(await ordinaryDecision(port), { status: 200, decision: 'permit' });
});

t.test('headers that never end are cut off by the headers timeout', async (t) => {
  const { app } = await fixtureApp(t, { limits: { maxEventLoopDelayMs: 0, requestTimeoutMs: 2000, headersTimeoutMs: 500 } });
  const port = await listen(app);
  const socket = await openSocket(port);
  socket.write('POST /v1/decisions HTTP/1.1\r\nhost: x\r\n');
  const drip = setInterval(() => socket.destroyed || socket.write('x-slow: 1\r\n'), 100);
  const result = await collect(socket, 30_000);
  clearInterval(drip);
  t.equal(result.closedByServer, true);
  t.match(result.text, /^HTTP\/1\.1 408/);
});

t.test('a connection that never sends a byte is closed after the headers timeout', async (t) => {
  const { app } = await fixtureApp(t, { limits: { maxEventLoopDelayMs: 0, requestTimeoutMs: 2000, headersTimeoutMs: 300 } });
  const port = await listen(app);
  const socket = await openSocket(port);
  const result = await collect(socket, 30_000);
  t.equal(result.closedByServer, true);
  t.equal(result.text, '');
  t.same(await ordinaryDecision(port), { status: 200, decision: 'permit' });
});

t.test('an idle keep-alive connection is closed after the keep-alive timeout', async (t) => {
  const { app } = await fixtureApp(t, { limits: { maxEventLoopDelayMs: 0, keepAliveTimeoutMs: 300 } });
  const port = await listen(app);
  const socket = await openSocket(port);
  socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n');
  const result = await collect(socket, 30_000);
  t.match(result.text, /^HTTP\/1\.1 200/);
  t.match(result.text, /keep-alive/i, 'the answer kept the connection open');
  t.equal(result.closedByServer, true, 'then the server closed the idle connection');
});

t.test('past the connection cap a new connection is closed at once; the service stays up', async (t) => {
  const { app } = await fixtureApp(t, { limits: { maxEventLoopDelayMs: 0, maxConnections: 2, keepAliveTimeoutMs: 60_000 } });
  const port = await listen(app);
  const held = [await openSocket(port), await openSocket(port)];
  for (const s of held) s.on('error', () => undefined);
  // Make sure the server has accepted both before the third arrives.
  for (const s of held) {
    s.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n');
    await new Promise((resolve) => s.once('data', resolve));
  }
  const third = await openSocket(port);
  third.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n');
  const result = await collect(third, 10_000);
  t.equal(result.closedByServer, true, 'the third connection is closed');
  t.equal(result.text, '', 'without an answer');
  held[0]!.destroy();
  await new Promise((resolve) => held[0]!.once('close', resolve));
  // Node frees the slot on close; the next connection is served.
  let answer: { status: number; decision?: string } | undefined;
  for (let i = 0; i < 50 && answer === undefined; i++) {
    answer = await ordinaryDecision(port).catch(() => undefined);
    if (answer === undefined) await new Promise((r) => setTimeout(r, 50));
  }
  t.same(answer, { status: 200, decision: 'permit' });
  held[1]!.destroy();
});

t.test('past the in-flight bound a decision is 503 + Retry-After at once; slots come back', async (t) => {
  // A DC that accepts and never answers: every uncached decision waits on it (until the LDAP timeout).
  const silent = await startSilentServer();
  t.teardown(() => silent.close());
  const directory = await openDirectory({ url: silent.url, baseDn: 'DC=contoso,DC=com', timeoutMs: 1500 });
  const engine = await createDecisionEngine({ rulesDir: RULES, directory });
  t.teardown(() => directory.close());
  const { app } = await fixtureApp(t, { engine, limits: { maxEventLoopDelayMs: 0, maxInFlight: 2, retryAfterSeconds: 7 } });
  await app.ready();
  const decide = (): Promise<{ statusCode: number; headers: Record<string, unknown>; json(): unknown }> =>
    app.inject({ method: 'POST', url: '/v1/decisions', headers: json, payload: PERMIT_BODY });
  const waiting = [decide(), decide()];
  // Let both reach the engine (they are now waiting on the silent DC).
  for (let i = 0; i < 100; i++) {
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    if (/devicegate_decisions_in_flight 2/.test(metrics.body)) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const shed = await decide();
  t.equal(shed.statusCode, 503);
  t.equal(shed.headers['retry-after'], '7');
  t.equal(errorShape(shed.json())?.code, 'DG_ERR_SERVER_OVERLOADED');
  const batch = await app.inject({
    method: 'POST',
    url: '/access/v1/evaluation',
    headers: json,
    payload: JSON.stringify({ subject: { type: 'user', id: 'u@contoso.com' }, resource: { type: 'relying_party', id: PAYROLL }, action: { name: 'access' } }),
  });
  t.equal(batch.statusCode, 503, 'AuthZEN is bounded by the same gate');
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'liveness answers while full');
  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  t.match(metrics.body, /devicegate_requests_shed_total [1-9]/);
  // The waiting ones end (directory unavailable: never a permit) and give their slots back.
  for (const res of await Promise.all(waiting)) t.not((res.json() as { decision?: string }).decision, 'permit');
  const after = await app.inject({ method: 'GET', url: '/metrics' });
  t.match(after.body, /devicegate_decisions_in_flight 0/);
  const next = await decide();
  t.not(errorShape(next.json())?.code, 'DG_ERR_SERVER_OVERLOADED', 'the next decision is admitted');
});

t.test('a full server still answers decisions its cache can make at once; what would wait is turned away unstarted', async (t) => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/devices.json'), 'utf8')) as { devices: { expectedStatus: string; thumbprint: string }[] };
  const known = manifest.devices.filter((d) => d.expectedStatus === 'known');
  const [cachedDevice, slowDevice, otherDevice] = [known[0]!, known[1]!, known[2]!];
  // The real LDIF directory, except that a search for slowDevice waits until released; searches are counted.
  const directory = await openLdifDirectory(LDIF);
  t.teardown(() => directory.close());
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => (release = r));
  let searches = 0;
  const find = directory.find.bind(directory);
  directory.find = async (query) => {
    searches++;
    if ('thumbprint' in query && query.thumbprint === slowDevice.thumbprint) await released;
    return find(query);
  };
  const engine = await createDecisionEngine({ rulesDir: RULES, directory });
  const { app } = await fixtureApp(t, { engine, limits: { maxEventLoopDelayMs: 0, maxInFlight: 2, retryAfterSeconds: 7 } });
  await app.ready();
  const decide = (thumbprint: string): Promise<{ statusCode: number; headers: Record<string, unknown>; json(): unknown }> =>
    app.inject({ method: 'POST', url: '/v1/decisions', headers: json, payload: JSON.stringify({ relyingParty: PAYROLL, device: { thumbprint } }) });
  t.equal((await decide(cachedDevice.thumbprint)).statusCode, 200, 'cachedDevice is now in the cache');
  const waiting = [decide(slowDevice.thumbprint), decide(slowDevice.thumbprint)];
  for (let i = 0; i < 100; i++) {
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    if (/devicegate_decisions_in_flight 2/.test(metrics.body)) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  t.match((await app.inject({ method: 'GET', url: '/metrics' })).body, /devicegate_decisions_in_flight 2/, 'the bound is full');
  const before = searches;
  const hit = await decide(cachedDevice.thumbprint);
  t.equal(hit.statusCode, 200, 'a cache hit is answered while the bound is full');
  t.equal((hit.json() as { device: { source: string } }).device.source, 'cache');
  const shed = await decide(otherDevice.thumbprint);
  t.equal(shed.statusCode, 503, 'a decision that needs the directory is turned away');
  t.equal(shed.headers['retry-after'], '7');
  t.equal(errorShape(shed.json())?.code, 'DG_ERR_SERVER_OVERLOADED');
  t.equal(searches, before, 'and no search was started for it');
  const explained = await app.inject({ method: 'POST', url: '/v1/decisions', headers: json, payload: JSON.stringify({ relyingParty: PAYROLL, device: { thumbprint: cachedDevice.thumbprint }, explain: true }) });
  t.equal(explained.statusCode, 503, 'explain runs the general (waiting) path: shed while full');
  t.match((await app.inject({ method: 'GET', url: '/metrics' })).body, /devicegate_requests_shed_total [1-9]/);
  release();
  for (const res of await Promise.all(waiting)) t.equal(res.statusCode, 200);
  t.match((await app.inject({ method: 'GET', url: '/metrics' })).body, /devicegate_decisions_in_flight 0/);
  t.equal((await decide(otherDevice.thumbprint)).statusCode, 200, 'slots back: the other device is decided');
});

/** The real LDIF directory, with its health probes counted. */
async function countingDirectory(t: { teardown(fn: () => unknown): void }): Promise<{ directory: DeviceDirectory; probes: () => number }> {
  const directory = await openLdifDirectory(LDIF);
  t.teardown(() => directory.close());
  let probes = 0;
  const health = directory.health.bind(directory);
  directory.health = () => {
    probes++;
    return health();
  };
  return { directory, probes: () => probes };
}

t.test('/readyz: many calls within the interval probe the directory once', async (t) => {
  const { directory, probes } = await countingDirectory(t);
  const engine = await createDecisionEngine({ rulesDir: RULES, directory });
  // The LDAP gauges of /metrics read the directory's health too: they must use the same state.
  const { app } = await fixtureApp(t, { engine, metricsSources: { directory }, limits: { maxEventLoopDelayMs: 0, readinessIntervalMs: 60_000 } });
  const answers = await Promise.all(Array.from({ length: 25 }, () => app.inject({ method: 'GET', url: '/readyz' })));
  for (const a of answers) t.equal(a.statusCode, 200);
  t.match(answers[0]!.json(), { ready: true, rules: true, directory: { ok: true, backend: 'ldif' }, policyRevision: engine.revision });
  for (let i = 0; i < 25; i++) await app.inject({ method: 'GET', url: '/readyz' });
  const scrape = await app.inject({ method: 'GET', url: '/metrics' });
  t.match(scrape.body, /devicegate_ldap_server_up\{server="ldif"\} 1/, 'the gauge reports the probed state');
  await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(probes(), 1, 'one probe for 50 readyz calls and two scrapes');
});

t.test('/readyz follows the state on its timer (not on the request)', async (t) => {
  const { directory, probes } = await countingDirectory(t);
  const engine = await createDecisionEngine({ rulesDir: RULES, directory });
  const { app } = await fixtureApp(t, { engine, closeEngine: false, limits: { maxEventLoopDelayMs: 0, readinessIntervalMs: 50 } });
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  await engine.close(); // a closed engine is not ready
  let status = 200;
  for (let i = 0; i < 200 && status === 200; i++) {
    await new Promise((r) => setTimeout(r, 20));
    status = (await app.inject({ method: 'GET', url: '/readyz' })).statusCode;
  }
  t.equal(status, 503, 'the timer picked up the change');
  t.ok(probes() >= 2);
});

/** A synchronous stretch of `ms`, run from a timer (where the event-loop delay monitor sees it). */
function stallFromTimer(ms: number): Promise<void> {
  return new Promise((resolve) =>
    setTimeout(() => {
      const until = Date.now() + ms;
      while (Date.now() < until);
      resolve();
    }, 50),
  );
}

async function pressureApp(t: { teardown(fn: () => unknown): void }, onSample: (s: PressureSample) => void): Promise<FastifyInstance> {
  const app = Fastify();
  t.teardown(() => app.close());
  await app.register(backPressurePlugin, { maxEventLoopDelayMs: 150, maxEventLoopUtilization: 0, maxHeapUsedBytes: 0, retryAfterSeconds: 3, sampleIntervalMs: 300, onSample });
  app.get('/work', async () => ({ ok: true }));
  return app;
}

/** Resolves on the first sample that passes `test`; holds the loop open (the sampling timer is unref'd). */
function nextSample(test: (s: PressureSample) => boolean): { onSample: (s: PressureSample) => void; wait: Promise<PressureSample> } {
  let resolve: (s: PressureSample) => void = () => undefined;
  const wait = new Promise<PressureSample>((r) => (resolve = r));
  const hold = setTimeout(() => undefined, 30_000);
  return {
    onSample: (s) => {
      if (!test(s)) return;
      clearTimeout(hold);
      resolve(s);
    },
    wait,
  };
}

t.test('start-up stalls before the app is ready are not counted as load (the false 503 after a restart)', async (t) => {
  // Before the fix, sampling started when the plugin registered, and this stall (what `serve` does
  // between registering the plugin and listening: compiling every schema and serializer, ~1 s on a
  // busy machine) made the first sample read as overload: the first requests were 503s.
  const first = nextSample(() => true);
  const app = await pressureApp(t, first.onSample);
  await stallFromTimer(1500);
  await app.ready();
  const sample = await first.wait;
  t.equal(sample.pressured, false, `first sample after ready: ${JSON.stringify(sample)}`);
  const res = await app.inject({ method: 'GET', url: '/work' });
  t.equal(res.statusCode, 200);
});

t.test('a stall while serving is still detected and shed with Retry-After', async (t) => {
  const pressured = nextSample((s) => s.pressured);
  const app = await pressureApp(t, pressured.onSample);
  await app.ready();
  await stallFromTimer(1500);
  await pressured.wait;
  const res = await app.inject({ method: 'GET', url: '/work' });
  t.equal(res.statusCode, 503);
  t.equal(res.headers['retry-after'], '3');
  t.equal(errorShape(res.json())?.code, 'DG_ERR_SERVER_OVERLOADED');
});
