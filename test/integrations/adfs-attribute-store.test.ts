/**
 * Contract test of the .NET attribute-store shim (integrations/adfs-attribute-store): compiled with
 * Mono against the stub of AD FS's types, run under `mono` by a driver that calls it as AD FS does
 * (Initialize, BeginExecuteQuery with a callback that calls EndExecuteQuery, many at once), against
 * a live devicegate on a port, and against a small fake server for the failures devicegate never makes.
 */
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findBinary } from '../harness/index.js';
import { DECIDE, DECIDE_TOKEN, fixtureApp, ROOT } from '../server/fixture-app.js';

const run = promisify(execFile);
const SHIM = join(ROOT, 'integrations/adfs-attribute-store');
const MONO = findBinary('mono', 'mono-runtime (bash scripts/ensure-test-servers.sh)');
findBinary('mcs', 'mono-mcs (bash scripts/ensure-test-servers.sh)');

const FORMAT = 'AttributeStoreQueryFormatException';
const EXECUTION = 'AttributeStoreQueryExecutionException';

interface Outcome { ok: boolean; rows?: string[][]; exception?: string; message?: string }
interface FixtureDevice { slug: string; deviceId: string; thumbprint: string; displayName: string }
const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/devices.json'), 'utf8')) as { devices: FixtureDevice[]; users: { name: string; sid: string }[] };
const device = (slug: string): FixtureDevice => manifest.devices.find((d) => d.slug === slug)!;
const sid = (name: string): string => manifest.users.find((u) => u.name === name)!.sid;

const out = mkdtempSync(join(tmpdir(), 'dg-adfs-shim-'));
t.teardown(() => rmSync(out, { recursive: true, force: true }));

t.before(async () => {
  await run('bash', [join(SHIM, 'build.sh'), out], { timeout: 120_000 });
});

/** Runs the driver with this store configuration over these [query, ...params] cases. */
function drive(config: Record<string, string>, cases: (string | null)[][]): Promise<{ code: number | null; outcomes: Outcome[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(MONO, [join(out, 'ShimDriver.exe'), ...Object.entries(config).map(([k, v]) => `${k}=${v}`)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const outcomes = stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Outcome);
      resolve({ code, outcomes, stderr });
    });
    child.stdin.end(cases.map((c) => JSON.stringify(c)).join('\n') + '\n');
  });
}

async function liveDevicegate(t: { teardown(fn: () => unknown): void }) {
  const fixture = await fixtureApp(t);
  await fixture.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = fixture.app.server.address() as AddressInfo;
  return { ...fixture, url: `http://127.0.0.1:${port}/`, config: { Url: `http://127.0.0.1:${port}/`, AllowHttp: 'true', BearerToken: DECIDE_TOKEN } };
}

t.test('every verb through the compiled shim against a live devicegate', async (t) => {
  const { url, config } = await liveDevicegate(t);
  const hybrid = device('hybrid-compliant');
  const byod = device('byod-personal');
  const { code, outcomes, stderr } = await drive(config, [
    ['device;identifier,isknown,iscompliant,displayname;{0}', hybrid.deviceId],
    ['device;iscompliant,ismanaged;{0}', hybrid.thumbprint],
    ['device;isregistereduser;{0};{1}', byod.deviceId, sid('alice')],
    ['device;isknown;{0}', device('not-in-ad').thumbprint],
    ['decision;decision,reason;{0};{1};{2}', 'https://payroll.contoso.com/', hybrid.thumbprint, sid('alice')],
    ['decision;decision;https://intranet.contoso.com/;;{0}', sid('alice')],
  ]);
  t.equal(code, 0, stderr);
  t.same(outcomes[0], { ok: true, rows: [[hybrid.deviceId, 'true', 'true', hybrid.displayName]], callbackThreadIsCaller: false });
  t.same(outcomes[1]?.rows, [['true', 'true']]);
  t.same(outcomes[2]?.rows, [['true']]);
  t.same(outcomes[3], { ok: true, rows: [], callbackThreadIsCaller: false }, 'an unknown device is a legitimate empty table');
  t.same(outcomes[4]?.rows, [['permit', 'permitted by rule "Permit compliant devices"']]);
  t.same(outcomes[5]?.rows, [['mfa_required']]);
  t.ok(url);
});

t.test('a decision through the shim matches /v1/decisions for the same inputs', async (t) => {
  const { app, config } = await liveDevicegate(t);
  const inputs: [string, string, string][] = [];
  for (const rp of ['https://payroll.contoso.com/', 'https://extranet.contoso.com/', 'https://apps.contoso.com/registered/', 'https://intranet.contoso.com/']) {
    for (const slug of ['hybrid-compliant', 'byod-personal', 'managed-noncompliant', 'not-in-ad']) {
      for (const user of ['alice', 'bob']) inputs.push([rp, device(slug).deviceId, sid(user)]);
    }
  }
  const { outcomes } = await drive(config, inputs.map(([rp, id, user]) => ['decision;decision,reasoncode,reason;{0};{1};{2}', rp, id, user]));
  const seen = new Set<string>();
  for (const [i, [rp, deviceId, user]] of inputs.entries()) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/decisions',
      headers: DECIDE,
      payload: { relyingParty: rp, device: { deviceId }, claims: [{ type: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid', value: user }] },
    });
    const e = res.json() as { decision: string; reason: { code: string; message: string } };
    t.same(outcomes[i]?.rows, [[e.decision, e.reason.code, e.reason.message]], `${rp} ${deviceId} ${user}`);
    seen.add(e.decision);
  }
  t.same([...seen].sort(), ['deny', 'mfa_required', 'permit']);
});

t.test('hostile parameter values stay values; bad queries are format exceptions', async (t) => {
  const { config } = await liveDevicegate(t);
  const { outcomes } = await drive(config, [
    // A ";" or a placeholder inside a value does not reach the query: the relying party is looked up verbatim (404).
    ['decision;decision;{0};{1};{2}', 'https://payroll.contoso.com/;{1};{2}', device('hybrid-compliant').deviceId, sid('alice')],
    ['device;isknown;{0}', `${device('hybrid-compliant').deviceId};{0}`],
    ['device;isknown;{0}', '*)(objectClass=*'],
    ['device;isknown,colour;{0}', device('hybrid-compliant').deviceId],
    ['devices;isknown;{0}', device('hybrid-compliant').deviceId],
    ['device;isknown;{1}', device('hybrid-compliant').deviceId],
    ['device;isknown;{0}', null],
    ['decision;decision;{0};{1};{2}', 'https://payroll.contoso.com/', '', 'not-a-sid'],
  ]);
  t.match(outcomes[0], { ok: false, exception: EXECUTION, message: /HTTP 404.*DG_ERR_POLICY_UNKNOWN_RELYING_PARTY/ });
  t.match(outcomes[1], { ok: false, exception: FORMAT, message: /DG_ERR_ADFS_QUERY_VALUE/ });
  t.match(outcomes[2], { ok: false, exception: FORMAT, message: /DG_ERR_ADFS_QUERY_VALUE/ });
  t.match(outcomes[3], { ok: false, exception: FORMAT, message: /DG_ERR_ADFS_QUERY_COLUMN at query position 15/ });
  t.match(outcomes[4], { ok: false, exception: FORMAT, message: /DG_ERR_ADFS_QUERY_VERB at query position 0/ });
  t.match(outcomes[5], { ok: false, exception: FORMAT, message: /DG_ERR_ADFS_QUERY_PARAMETER at query position 15/ });
  t.match(outcomes[6], { ok: false, exception: FORMAT, message: /DG_ERR_SERVER_INVALID_REQUEST/ });
  t.match(outcomes[7], { ok: false, exception: FORMAT, message: /DG_ERR_ADFS_QUERY_VALUE/ });
});

t.test('authentication failures and an unreachable devicegate are execution exceptions', async (t) => {
  const { config } = await liveDevicegate(t);
  const q = ['device;isknown;{0}', device('hybrid-compliant').deviceId];
  const wrong = await drive({ ...config, BearerToken: 'wrong-token' }, [q]);
  t.match(wrong.outcomes[0], { ok: false, exception: EXECUTION, message: /HTTP 401/ });
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const unreachable = await drive({ ...config, Url: `http://127.0.0.1:${port}/` }, [q]);
  t.match(unreachable.outcomes[0], { ok: false, exception: EXECUTION, message: /could not be reached/ });
});

t.test('a fake devicegate: 5xx, timeout, wrong columns, malformed JSON all throw, never an empty table', async (t) => {
  const hanging = new Set<ServerResponse>();
  const fake = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      const sent = JSON.parse(body) as { query: string; params: string[]; store?: string; node?: string; requestId?: string };
      const { params } = sent;
      const json = (status: number, value: unknown, type = 'application/json') => {
        res.writeHead(status, { 'content-type': type });
        res.end(typeof value === 'string' ? value : JSON.stringify(value));
      };
      switch (params[0]) {
        case '500': return json(500, { error: { code: 'DG_ERR_SERVER_INTERNAL', message: 'internal error' } });
        case '503': return json(503, { error: { code: 'DG_ERR_ADFS_DIRECTORY_UNAVAILABLE', message: 'directory down' } });
        case 'hang': hanging.add(res); return undefined;
        case 'too-few-columns': return json(200, { columns: ['isknown'], rows: [['true']] });
        case 'renamed-column': return json(200, { columns: ['isknown', 'ismanaged'], rows: [['true', 'true']] });
        case 'short-row': return json(200, { columns: ['isknown', 'iscompliant'], rows: [['true']] });
        case 'null-cell': return json(200, { columns: ['isknown', 'iscompliant'], rows: [['true', null]] });
        case 'no-rows': return json(200, { columns: ['isknown', 'iscompliant'] });
        case 'malformed': return json(200, '{"columns":["isknown","iscompliant"],"rows":[["true","tr');
        case 'html': return json(200, '<html>proxy login</html>', 'text/html');
        case 'redirect': res.writeHead(302, { location: 'http://127.0.0.1:1/' }); return res.end();
        case 'empty': return json(200, { columns: ['isknown', 'iscompliant'], rows: [] });
        case 'echo': return json(200, { columns: ['isknown', 'iscompliant'], rows: [[sent.query, `${sent.store}|${/^[0-9a-f-]{36}$/.test(sent.requestId ?? '') ? 'uuid' : 'no-uuid'}|${sent.node ? 'node' : 'no-node'}`], ...params.slice(1).map((p) => [p, String(p.length)])] });
        default: return json(200, { columns: ['isknown', 'iscompliant'], rows: [['true', 'false']] });
      }
    });
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const r of hanging) r.destroy();
    return new Promise<void>((r) => fake.close(() => r()));
  });
  const { port } = fake.address() as AddressInfo;
  const cases = ['500', '503', 'too-few-columns', 'renamed-column', 'short-row', 'null-cell', 'no-rows', 'malformed', 'html', 'redirect', 'empty', 'ok'];
  const config = { Url: `http://127.0.0.1:${port}`, AllowHttp: 'true', BearerToken: 'x' };
  // Hanging answers time out on their own, each within its timeout. (Whether .NET Framework's per-host
  // connection limit would queue the others cannot be shown here: Mono does not enforce it.)
  const slow = await drive({ ...config, TimeoutMs: '300' }, [['device;isknown,iscompliant;{0}', 'hang'], ['device;isknown,iscompliant;{0}', 'hang'], ['device;isknown,iscompliant;{0}', 'hang']]);
  for (const o of slow.outcomes) t.match(o, { ok: false, exception: EXECUTION, message: /no answer from .* within 300 ms/ });
  t.equal(slow.outcomes.length, 3);
  // Generous timeout (the most the shim allows): these answers come at once; only their content is wrong.
  const { code, outcomes, stderr } = await drive({ ...config, TimeoutMs: '5000' }, [...cases.map((c) => ['device;isknown,iscompliant;{0}', c]), ...[1, 2, 3].map(() => ['device;isknown,iscompliant;{0}', 'hang'])]);
  t.equal(code, 0, stderr);
  const by = Object.fromEntries(cases.map((c, i) => [c, outcomes[i]]));
  t.match(by['500'], { ok: false, exception: EXECUTION, message: /HTTP 500/ });
  t.match(by['503'], { ok: false, exception: EXECUTION, message: /HTTP 503.*DG_ERR_ADFS_DIRECTORY_UNAVAILABLE/ });
  t.match(by['too-few-columns'], { ok: false, exception: EXECUTION, message: /lists 2 column\(s\) but the answer has 1/ });
  t.match(by['renamed-column'], { ok: false, exception: EXECUTION, message: /column 2 is not "iscompliant"/ });
  t.match(by['short-row'], { ok: false, exception: EXECUTION, message: /row 1 does not have 2/ });
  t.match(by['null-cell'], { ok: false, exception: EXECUTION, message: /null value/ });
  t.match(by['no-rows'], { ok: false, exception: EXECUTION, message: /lacks columns or rows/ });
  t.match(by.malformed, { ok: false, exception: EXECUTION, message: /not valid JSON/ });
  t.match(by.html, { ok: false, exception: EXECUTION, message: /not application\/json/ });
  t.match(by.redirect, { ok: false, exception: EXECUTION, message: /HTTP 302/ });
  t.same(by.empty, { ok: true, rows: [], callbackThreadIsCaller: false }, 'an empty table only when devicegate answers one');
  t.same(by.ok?.rows, [['true', 'false']]);
  // What the shim sends: the raw query, every parameter verbatim (JSON both ways), store, node and a request ID.
  const hostile = ['a;b', '{0}', '"quoted" \\ back\\slash', 'tab\tnewline\n', 'ünïcødé ✓', ''];
  const echo = await drive({ ...config, StoreName: 'devicegate-test' }, [['device;isknown,iscompliant;{0}', 'echo', ...hostile]]);
  t.same(echo.outcomes[0]?.rows, [['device;isknown,iscompliant;{0}', 'devicegate-test|uuid|node'], ...hostile.map((h) => [h, String(h.length)])]);
  for (const o of outcomes.slice(cases.length)) t.match(o, { ok: false, exception: EXECUTION, message: /within 5000 ms/ }, 'hanging requests beside the others time out, the others are answered');
});

t.test('configuration problems are AttributeStoreInvalidConfigurationException at Initialize', async (t) => {
  for (const [config, message] of [
    [{ BearerToken: 'x' }, /Url must be an absolute URL/],
    [{ Url: 'http://127.0.0.1:1/', BearerToken: 'x' }, /must be https/],
    [{ Url: 'https://devicegate.contoso.com/' }, /ClientCertThumbprint .* or BearerToken/],
    [{ Url: 'https://devicegate.contoso.com/', BearerToken: 'x', TimeoutMs: '60000' }, /TimeoutMs must be/],
  ] as const) {
    const r = await drive(config, []);
    t.equal(r.code, 3);
    t.match(r.outcomes[0], { ok: false, exception: 'AttributeStoreInvalidConfigurationException', message });
  }
});
