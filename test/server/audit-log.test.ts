import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog } from '../../src/server/index.js';
import { DECIDE, ROOT, fixtureApp } from './fixture-app.js';

const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/devices.json'), 'utf8')) as { devices: { slug: string; thumbprint: string }[] };
const COMPLIANT = manifest.devices.find((d) => d.slug === 'hybrid-compliant')!.thumbprint;

function collector(): { lines: string[]; sink: { write(line: string): void } } {
  const lines: string[] = [];
  return { lines, sink: { write: (line: string) => lines.push(line) } };
}

t.test('one parseable line per decision, also with a hostile X-Request-ID; report-only and what-if fields', async (t) => {
  const { lines, sink } = collector();
  const { app, engine } = await fixtureApp(t, { audit: new AuditLog({ sink }) });
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/v1/decisions', headers: { ...DECIDE, 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });
  const hostile = 'x"}\\u0000{"decision":"permit';
  t.equal((await post({ relyingParty: 'https://payroll.contoso.com/' }, { 'x-request-id': hostile })).statusCode, 200);
  t.equal((await post({ relyingParty: 'https://payroll-preview.contoso.com/', device: { thumbprint: COMPLIANT } })).statusCode, 200);
  t.equal((await post({ relyingParty: 'https://payroll.contoso.com/', simulate: true, at: '2026-01-01T00:00:00Z' }, { 'x-request-id': 'a'.repeat(500) })).statusCode, 200);
  t.equal(lines.length, 3);
  for (const line of lines) t.ok(line.endsWith('}\n') && !line.slice(0, -1).includes('\n'), 'one line');
  const [deny, preview, simulated] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.equal(deny!.requestId, hostile, 'the caller-given id, escaped');
  t.equal(deny!.decision, 'deny');
  t.equal(deny!.caller, 'token#1');
  t.equal(deny!.policyRevision, engine.revision);
  t.match(preview, { decision: 'permit', reasonCode: 'report_only', enforcement: { decision: String, reasonCode: String } });
  t.equal(simulated!.simulatedAt, '2026-01-01T00:00:00.000Z');
  t.match(simulated!.requestId, /^req-/, 'an over-long X-Request-ID is replaced by our own id');
});

t.test('AuthZEN decisions are audited too, one line per evaluation', async (t) => {
  const { lines, sink } = collector();
  const { app } = await fixtureApp(t, { audit: new AuditLog({ sink }) });
  const res = await app.inject({
    method: 'POST',
    url: '/access/v1/evaluations',
    headers: { ...DECIDE, 'content-type': 'application/json', 'x-request-id': 'batch-7' },
    payload: JSON.stringify({ subject: { type: 'user', id: 'a@contoso.com' }, action: { name: 'access' }, resource: { type: 'relying_party', id: 'https://payroll.contoso.com/' }, evaluations: [{}, {}, { resource: { type: 'x' } }] }),
  });
  t.equal(res.statusCode, 200);
  t.equal(lines.length, 2, 'the failed item made no decision');
  for (const line of lines) t.equal((JSON.parse(line) as { requestId: string }).requestId, 'batch-7');
});

t.test('sampling: rate 1 writes all, a rate in between writes some, out-of-range rates are refused', async (t) => {
  const decision = { decision: 'deny', relyingParty: { id: 'r', name: 'R' }, device: { status: 'not_presented', source: 'none' }, reason: { code: 'no_permit', message: 'm' }, policyRevision: 'x' } as const;
  const all = collector();
  const everyOne = new AuditLog({ sink: all.sink });
  const some = collector();
  const half = new AuditLog({ sink: some.sink, sampleRate: 0.5 });
  for (let i = 0; i < 2000; i++) {
    everyOne.record(decision, { requestId: String(i), caller: undefined, startedAt: 0, now: 1 });
    half.record(decision, { requestId: String(i), caller: undefined, startedAt: 0, now: 1 });
  }
  t.equal(all.lines.length, 2000);
  t.ok(some.lines.length > 700 && some.lines.length < 1300, `about half (${some.lines.length})`);
  t.equal(JSON.parse(all.lines[0]!).caller, null);
  for (const bad of [0, -1, 1.5, Number.NaN]) t.throws(() => new AuditLog({ sink: all.sink, sampleRate: bad }), RangeError, String(bad));
});

t.test('decision metrics per configured relying party', async (t) => {
  const { app } = await fixtureApp(t);
  const post = (relyingParty: string) =>
    app.inject({ method: 'POST', url: '/v1/decisions', headers: { ...DECIDE, 'content-type': 'application/json' }, payload: JSON.stringify({ relyingParty, device: { thumbprint: COMPLIANT } }) });
  await post('https://payroll.contoso.com/');
  await post('urn:contoso:payroll');
  await post('https://intranet.contoso.com/');
  await post('urn:not-configured');
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(metrics, /devicegate_relying_party_decisions_total\{relying_party="https:\/\/payroll\.contoso\.com\/",result="permit"\} 2/);
  t.match(metrics, /devicegate_relying_party_decisions_total\{relying_party="https:\/\/intranet\.contoso\.com\/",result="permit"\} 1/);
  t.notMatch(metrics, /urn:contoso:payroll|urn:not-configured/, 'labels are configured ids only');
});
