import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLdifDirectory } from '../../src/directory/index.js';
import { createDecisionEngine } from '../../src/policy/index.js';
import { ServerMetrics } from '../../src/server/index.js';
import { DECIDE, LDIF, ROOT, RULES, fixtureApp } from './fixture-app.js';

const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/devices.json'), 'utf8')) as { devices: { slug: string; thumbprint: string }[] };
const known = manifest.devices.find((d) => d.slug === 'hybrid-compliant')!.thumbprint;
const missing = manifest.devices.find((d) => d.slug === 'not-in-ad')!.thumbprint;

t.test('cache and directory metrics come from the engine\'s parts; look-ups past the cache are timed', async (t) => {
  const metrics = new ServerMetrics();
  const directory = await openLdifDirectory(LDIF);
  t.teardown(() => directory.close());
  const engine = await createDecisionEngine({ rulesDir: RULES, directory: metrics.instrumentDirectory(directory) });
  const { app } = await fixtureApp(t, {
    engine,
    metrics,
    metricsSources: { directory, cache: () => ({ ...engine.directory.counters, size: engine.directory.size }) },
  });
  const decide = (thumbprint: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/decisions',
      headers: { ...DECIDE, 'content-type': 'application/json' },
      payload: JSON.stringify({ relyingParty: 'https://payroll.contoso.com/', device: { thumbprint } }),
    });
  for (let i = 0; i < 3; i++) await decide(known);
  await decide(missing);
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(text, /devicegate_cache_hits_total 2\b/, 'two hits');
  t.match(text, /devicegate_cache_misses_total 2\b/, 'two misses');
  t.match(text, /devicegate_cache_entries 2\b/);
  t.match(text, /devicegate_ldap_search_duration_seconds_count\{outcome="found"\} 1\b/, 'one timed look-up that found');
  t.match(text, /devicegate_ldap_search_duration_seconds_count\{outcome="not_found"\} 1\b/);
  t.match(text, /devicegate_ldap_searches_total \d+/);
  t.match(text, /devicegate_ldap_errors_total 0\b/);
  t.match(text, /devicegate_ldap_server_up\{server="ldif"\} 1\b/);
  t.match(text, /devicegate_decisions_total\{result="permit"\} 3\b/);
  t.match(text, /devicegate_decisions_total\{result="deny"\} 1\b/);
});

t.test('each app has its own registry', async (t) => {
  const a = await fixtureApp(t);
  const b = await fixtureApp(t);
  await a.app.inject({ method: 'POST', url: '/v1/decisions', headers: { ...DECIDE, 'content-type': 'application/json' }, payload: JSON.stringify({ relyingParty: 'https://payroll.contoso.com/' }) });
  t.match((await a.app.inject({ method: 'GET', url: '/metrics' })).body, /devicegate_decisions_total\{result="deny"\} 1\b/);
  t.notMatch((await b.app.inject({ method: 'GET', url: '/metrics' })).body, /devicegate_decisions_total\{result="deny"\} 1\b/);
});
