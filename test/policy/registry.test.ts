import t from 'tap';
import { createDecisionEngine, loadRegistry, PolicyLoadError } from '../../src/policy/index.js';
import { openFixtureDirectory, PERMIT_ALL, RULES, rp, tempRules } from './helpers.js';

t.test('the sample rules/ tree loads', async (t) => {
  const reg = await loadRegistry(RULES);
  t.same(reg.relyingParties.map((r) => r.summary.slug), ['claims-app', 'extranet', 'intranet', 'office365', 'payroll', 'payroll-preview', 'registered-device']);
  t.match(reg.revision, /^[0-9a-f]{12}$/);
  t.equal((await loadRegistry(RULES)).revision, reg.revision, 'the revision is a content hash');
  t.ok(reg.byIdentifier.get('urn:contoso:payroll'));
  t.equal(reg.byIdentifier.get('URN:CONTOSO:PAYROLL'), undefined, 'identifiers match exactly');
  t.equal(reg.farm.maxInactiveDays, 90);
});

t.test('farm.json {} and a missing acceptance file are valid (pass-through)', async (t) => {
  const r = await tempRules({ 'farm.json': '{}', 'relying-parties/a/relying-party.json': rp('A', ['urn:a']), 'relying-parties/a/authorization.rules': PERMIT_ALL });
  t.teardown(r.done);
  const reg = await loadRegistry(r.dir);
  t.equal(reg.acceptance, undefined);
  t.equal(reg.farm.onDirectoryError, 'deny');
  t.same(reg.farm.attributeStores, ['Active Directory']);
  t.equal(reg.farm.maxInactiveDays, undefined);
  t.same(reg.relyingParties[0]?.summary, { id: 'urn:a', slug: 'a', name: 'A', identifiers: ['urn:a'], enabled: true, mode: 'enforce' });
});

interface LoadCase {
  name: string;
  files: Record<string, string | null>;
  expect: RegExp[];
}

const BROKEN_RULE = `@RuleName = "ok"
${PERMIT_ALL}
c:[Type == "x", Value == "y"]
 => issue(Type = "z", Value = );
`;

const CASES: LoadCase[] = [
  {
    name: 'a rule file that does not parse: file:line:col',
    files: { 'relying-parties/a/authorization.rules': BROKEN_RULE },
    expect: [/relying-parties\/a\/authorization\.rules:5:\d+: error /],
  },
  {
    name: 'every broken file is reported at once',
    files: { 'relying-parties/a/authorization.rules': BROKEN_RULE, 'relying-parties/b/relying-party.json': rp('B', ['urn:b']), 'relying-parties/b/issuance.rules': 'c:[ => issue(claim = c);' },
    expect: [/a\/authorization\.rules:5:/, /b\/issuance\.rules:1:\d+: error/, /relying-parties\/b: needs authorization\.rules or an accessControlPolicy/],
  },
  { name: 'farm.json not JSON', files: { 'farm.json': '{ nope' }, expect: [/farm\.json:1:3: error: not valid JSON/] },
  { name: 'farm.json unknown key', files: { 'farm.json': '{"maxInactiveDay": 3}' }, expect: [/farm\.json:1:2: error: unknown key "maxInactiveDay"/] },
  { name: 'farm.json bad onDirectoryError', files: { 'farm.json': '{"onDirectoryError": "allow"}' }, expect: [/"onDirectoryError" must be "deny" or "error"/] },
  { name: 'farm.json unknown attribute store', files: { 'farm.json': '{"attributeStores": ["SQL"]}' }, expect: [/unknown attribute store "SQL"/] },
  { name: 'farm.json missing CA file', files: { 'farm.json': '{"trustedDeviceIssuers": ["ca/none.pem"]}' }, expect: [/trustedDeviceIssuers file .*ca\/none\.pem not found/] },
  { name: 'farm.json CA file that is not a certificate', files: { 'farm.json': '{"trustedDeviceIssuers": ["ca.pem"]}', 'ca.pem': 'hello' }, expect: [/trustedDeviceIssuers: /] },
  { name: 'explicit acceptance file missing', files: { 'farm.json': '{"acceptanceRules": "cp/x.rules"}' }, expect: [/cp\/x\.rules: file not found/] },
  { name: 'global additional-auth file missing', files: { 'farm.json': '{"additionalAuthenticationRules": "global-mfa.rules"}' }, expect: [/global-mfa\.rules: file not found/] },
  // A rule calling a store devicegate cannot serve loads with a warning: test/policy/store-availability.test.ts.
  { name: 'relying-party.json not JSON', files: { 'relying-parties/a/relying-party.json': '{' }, expect: [/a\/relying-party\.json:1:2: error: not valid JSON/] },
  {
    name: 'a broken relying-party.json does not hide its rule files',
    files: { 'relying-parties/a/relying-party.json': '{', 'relying-parties/a/authorization.rules': BROKEN_RULE },
    expect: [/a\/relying-party\.json:1:2: error: not valid JSON/, /a\/authorization\.rules:5:\d+: error /],
  },
  {
    name: 'JSON problems at the offending key or value',
    files: { 'farm.json': '{\n  "attributeStores": ["Active Directory", "SQL"]\n}', 'relying-parties/a/relying-party.json': '{\n  "name": "A",\n  "identifiers": ["urn:a"],\n  "mode": "enforce-ish"\n}' },
    expect: [/farm\.json:2:43: error: unknown attribute store "SQL"/, /a\/relying-party\.json:4:11: error: "mode" must be "enforce" or "reportOnly"/],
  },
  { name: 'relying-party.json missing', files: { 'relying-parties/a/relying-party.json': null }, expect: [/a\/relying-party\.json: file not found/] },
  {
    name: 'relying-party.json field errors',
    files: { 'relying-parties/a/relying-party.json': JSON.stringify({ name: '', identifiers: [], enabled: 'yes', mode: 'audit', extra: 1 }) },
    expect: [/unknown key "extra"/, /"name" must be a non-empty string/, /"identifiers" must be a non-empty array/, /"enabled" must be true or false/, /"mode" must be "enforce" or "reportOnly"/],
  },
  {
    name: 'authorization rules and an access control policy are mutually exclusive',
    files: { 'relying-parties/a/relying-party.json': rp('A', ['urn:a'], { accessControlPolicy: { name: 'Permit everyone' } }) },
    expect: [/mutually exclusive/],
  },
  {
    name: 'unknown access control policy',
    files: { 'relying-parties/a/relying-party.json': rp('A', ['urn:a'], { accessControlPolicy: { name: 'Permit nobody' } }), 'relying-parties/a/authorization.rules': null },
    expect: [/unknown access control policy "Permit nobody"/],
  },
  {
    name: 'access control policy without its parameter',
    files: { 'relying-parties/a/relying-party.json': rp('A', ['urn:a'], { accessControlPolicy: { name: 'Permit specific group' } }), 'relying-parties/a/authorization.rules': null },
    expect: [/needs parameter GroupParameter/],
  },
  {
    name: 'the same identifier on two relying parties',
    files: { 'relying-parties/b/relying-party.json': rp('B', ['urn:a']), 'relying-parties/b/authorization.rules': PERMIT_ALL },
    expect: [/identifier "urn:a" is already used by relying party "a"/],
  },
];

t.test('load errors name every problem with its file (and line:col for rules)', async (t) => {
  for (const c of CASES) {
    const r = await tempRules({ 'farm.json': '{}', 'relying-parties/a/relying-party.json': rp('A', ['urn:a']), 'relying-parties/a/authorization.rules': PERMIT_ALL, ...c.files });
    try {
      await loadRegistry(r.dir, { cwd: r.dir });
      t.fail(`${c.name}: should not load`);
    } catch (error) {
      t.type(error, PolicyLoadError, c.name);
      const e = error as PolicyLoadError;
      t.equal(e.code, 'DG_ERR_POLICY_LOAD');
      const all = e.diagnostics.join('\n');
      for (const re of c.expect) t.match(all, re, `${c.name}: ${re}`);
    } finally {
      await r.done();
    }
  }
});

t.test('a missing rules directory is a load error', async (t) => {
  await t.rejects(loadRegistry('/nonexistent/rules'), { code: 'DG_ERR_POLICY_LOAD', message: /does not exist/ });
});

t.test('reload: a broken change keeps the working revision; a good one swaps it', async (t) => {
  const r = await tempRules({}, true);
  t.teardown(r.done);
  const directory = await openFixtureDirectory();
  const engine = await createDecisionEngine({ rulesDir: r.dir, directory, ownsDirectory: true });
  t.teardown(() => engine.close());
  const first = engine.revision;
  t.same(await engine.reload(), { revision: first, changed: false });

  await r.write({ 'relying-parties/payroll/authorization.rules': BROKEN_RULE });
  await t.rejects(engine.reload(), { code: 'DG_ERR_POLICY_LOAD', diagnostics: [/payroll\/authorization\.rules:5:\d+/] });
  t.equal(engine.revision, first, 'the old registry stays');
  const still = await engine.decide({ relyingParty: 'urn:contoso:payroll' });
  t.equal(still.policyRevision, first);
  t.equal(still.reason.code, 'no_permit', 'and still decides with the old rules');

  await r.write({ 'relying-parties/payroll/authorization.rules': PERMIT_ALL });
  const next = await engine.reload();
  t.equal(next.changed, true);
  t.not(next.revision, first);
  t.equal(engine.revision, next.revision);
  const after = await engine.decide({ relyingParty: 'urn:contoso:payroll' });
  t.same([after.decision, after.policyRevision], ['permit', next.revision]);
});

t.test('watch: a change on disk is picked up (debounced)', async (t) => {
  const r = await tempRules({}, true);
  t.teardown(r.done);
  const directory = await openFixtureDirectory();
  const errors: string[] = [];
  const engine = await createDecisionEngine({ rulesDir: r.dir, directory, ownsDirectory: true, watch: true, logger: { warn: () => undefined, info: () => undefined, error: (m) => errors.push(m) } });
  t.teardown(() => engine.close());
  const first = engine.revision;
  const waitFor = async (test: () => boolean): Promise<boolean> => {
    for (let i = 0; i < 60 && !test(); i++) await new Promise((res) => setTimeout(res, 50));
    return test();
  };
  await r.write({ 'relying-parties/payroll/authorization.rules': BROKEN_RULE });
  t.ok(await waitFor(() => errors.length > 0), 'a broken file is logged');
  t.match(errors[0], /reload failed, keeping revision/);
  t.equal(engine.revision, first);
  await r.write({ 'relying-parties/payroll/authorization.rules': PERMIT_ALL });
  t.ok(await waitFor(() => engine.revision !== first), 'the fixed file is loaded');
});
