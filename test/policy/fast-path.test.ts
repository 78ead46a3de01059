import t from 'tap';
import { DEVICE_CLAIM_TYPES as D, makeClaim } from '../../src/claims/index.js';
import { createDecisionEngine, type Decision, type DecisionRequest } from '../../src/policy/index.js';
import { certificatePem, manifest, now, openFixtureDirectory, PERMIT_ALL, rp, RULES, tempRules, user, userClaims } from './helpers.js';

// A cached decision takes the fast path (cache peek, shared device resolution, synchronous pipeline,
// load-time reasons); explain, a cache miss and an engine without a cache take the general one.
// Every row must come out the same whichever path answers it.

const PARTIES = ['https://claims.contoso.com/', 'https://extranet.contoso.com/', 'https://intranet.contoso.com/', 'urn:contoso:payroll', 'https://payroll-preview.contoso.com/', 'https://apps.contoso.com/registered/'];

type Presentation = DecisionRequest['device'];
function presentations(): { name: string; device: Presentation }[] {
  const out: { name: string; device: Presentation }[] = [{ name: 'no device', device: undefined }];
  for (const d of manifest.devices) {
    out.push({ name: `${d.slug} by thumbprint`, device: { thumbprint: d.thumbprint } });
    out.push({ name: `${d.slug} by lower-case colon thumbprint`, device: { thumbprint: d.thumbprint.toLowerCase().replace(/(..)(?!$)/g, '$1:') } });
    out.push({ name: `${d.slug} by device ID`, device: { deviceId: d.deviceId } });
    out.push({ name: `${d.slug} by certificate`, device: { certificate: certificatePem(d.slug) } });
  }
  return out;
}

/** What must not depend on the path (source is where the record came from: it may). */
function essence(d: Decision): unknown {
  const { source: _s, ...device } = d.device;
  const { trace: _t, ...rest } = d;
  return { ...rest, device };
}

t.test('cached, uncached and explained decisions agree for every party x presentation x caller', async (t) => {
  const cachedDir = await openFixtureDirectory();
  const plainDir = await openFixtureDirectory();
  const cached = await createDecisionEngine({ rulesDir: RULES, directory: cachedDir, now });
  const uncached = await createDecisionEngine({ rulesDir: RULES, directory: plainDir, now, cache: false });
  t.teardown(async () => {
    await cached.close();
    await uncached.close();
    await cachedDir.close();
    await plainDir.close();
  });
  const callers = [
    { name: 'anonymous', claims: undefined },
    ...manifest.users.slice(0, 3).flatMap((u) => [
      { name: `${u.name} inside`, claims: userClaims(user(u.name), true) },
      { name: `${u.name} outside`, claims: userClaims(user(u.name), false) },
    ]),
  ];
  let rows = 0;
  for (const rp of PARTIES) {
    for (const p of presentations()) {
      for (const caller of callers) {
        const request: DecisionRequest = { relyingParty: rp, ...(p.device ? { device: p.device } : {}), ...(caller.claims ? { claims: caller.claims } : {}) };
        const first = await cached.decide(request);
        const second = await cached.decide(request);
        const explained = await cached.decide({ ...request, explain: true });
        const plain = await uncached.decide(request);
        const label = `${rp} / ${p.name} / ${caller.name}`;
        t.same(essence(second), essence(first), `${label}: cache hit = first answer`);
        t.same(essence(explained), essence(first), `${label}: explain = plain`);
        t.same(essence(plain), essence(first), `${label}: no cache = cache`);
        // decideNow: the same answer, handed back without a promise when nothing had to be waited for.
        const made = cached.decideNow(request);
        const third = made instanceof Promise ? await made : made;
        t.same(essence(third), essence(first), `${label}: decideNow = decide`);
        if (p.device && 'thumbprint' in p.device && third.device.source === 'cache') t.notOk(made instanceof Promise, `${label}: a cache hit is decided synchronously`);
        if (p.device && 'thumbprint' in p.device && second.device.status !== 'directory_unavailable') {
          t.equal(second.device.source, 'cache', `${label}: second look-up is a hit`);
        }
        rows++;
      }
    }
  }
  t.ok(rows > 500, `${rows} rows`);
});

t.test('isregistereduser follows the caller on cached hits of the same device', async (t) => {
  const directory = await openFixtureDirectory();
  const engine = await createDecisionEngine({ rulesDir: RULES, directory, now });
  t.teardown(async () => {
    await engine.close();
    await directory.close();
  });
  const known = manifest.devices.find((d) => d.expectedStatus === 'known' && d.directory?.owner)!;
  const owner = manifest.users.find((u) => u.name === known.directory!.owner) ?? manifest.users.find((u) => known.directory!.owner.includes(u.sid))!;
  const other = manifest.users.find((u) => u !== owner)!;
  const registered = async (u: typeof owner | undefined): Promise<string | undefined> => {
    const d = await engine.decide({ relyingParty: PARTIES[0]!, device: { thumbprint: known.thumbprint }, ...(u ? { claims: userClaims(u) } : {}), explain: true });
    const produced = d.trace?.find((e) => e.stage === 'device')?.produced ?? [];
    return produced.find((c) => c.type === D.isRegisteredUser)?.value;
  };
  // Interleaved, many times: one cached record, several callers.
  for (let i = 0; i < 3; i++) {
    t.equal(await registered(owner), 'true', `owner #${i + 1}`);
    t.equal(await registered(other), 'false', `other user #${i + 1}`);
    t.equal(await registered(undefined), undefined, `no primarysid #${i + 1}`);
  }
});

t.test('shared decision parts are frozen: a caller cannot change the next decision', async (t) => {
  const directory = await openFixtureDirectory();
  const engine = await createDecisionEngine({ rulesDir: RULES, directory, now });
  t.teardown(async () => {
    await engine.close();
    await directory.close();
  });
  const known = manifest.devices.find((d) => d.expectedStatus === 'known')!;
  const request = { relyingParty: PARTIES[0]!, device: { thumbprint: known.thumbprint } };
  await engine.decide(request);
  const hit = await engine.decide(request);
  t.throws(() => {
    (hit.reason as { message: string }).message = 'changed';
  });
  t.throws(() => {
    (hit.device as { compliant?: boolean }).compliant = false;
  });
  const again = await engine.decide(request);
  t.not(again.reason.message, 'changed');
  t.same(again, hit);
  const description = await engine.describeDevice({ thumbprint: known.thumbprint });
  t.throws(() => (description.claims as unknown[]).push({}), 'shared device claims are frozen');
});

t.test('a certificate seen before skips the parse, never the time and issuer checks', async (t) => {
  const directory = await openFixtureDirectory();
  let at = now();
  const engine = await createDecisionEngine({ rulesDir: RULES, directory, now: () => at });
  t.teardown(async () => {
    await engine.close();
    await directory.close();
  });
  const known = manifest.devices.find((d) => d.expectedStatus === 'known')! as (typeof manifest.devices)[number] & { notBefore: string; notAfter: string };
  const request: DecisionRequest = { relyingParty: PARTIES[0]!, device: { certificate: certificatePem(known.slug) } };
  const first = await engine.decide(request);
  const second = await engine.decide(request);
  t.equal(first.device.status, 'known');
  t.equal(second.device.status, 'known');
  t.equal(second.device.source, 'cache', 'the second decision is a cache hit');
  // The same (cached, parsed) certificate after its notAfter: expired, from the cache all the same.
  at = new Date(Date.parse(known.notAfter) + 1000);
  const later = await engine.decide(request);
  t.equal(later.device.status, 'untrusted_certificate', 'expired certificate is not trusted on a cached parse');
  t.match(JSON.stringify(await engine.decide({ ...request, explain: true })), /expired/, 'explained: it expired');
  // And before its notBefore.
  at = new Date(Date.parse(known.notBefore) - 1000);
  t.equal((await engine.decide(request)).device.status, 'untrusted_certificate', 'not yet valid on a cached parse');
  at = now();
  t.equal((await engine.decide(request)).device.status, 'known', 'valid again at the reference time');
  // A certificate of a foreign issuer stays untrusted on every repeat.
  const foreign = manifest.devices.find((d) => d.expectedStatus === 'untrusted_certificate' && d.slug === 'foreign-issuer');
  if (foreign) {
    const f = { relyingParty: PARTIES[0]!, device: { certificate: certificatePem(foreign.slug) } };
    t.equal((await engine.decide(f)).device.status, 'untrusted_certificate');
    t.equal((await engine.decide(f)).device.status, 'untrusted_certificate', 'repeat of an untrusted certificate');
  }
});

t.test('a remembered outcome (cached device, no caller claims) is the rules\' outcome, and follows a reload', async (t) => {
  const DENY_ALL = '=> issue(Type = "http://schemas.microsoft.com/authorization/claims/deny", Value = "true");\n';
  const rules = await tempRules({ 'relying-parties/app/relying-party.json': rp('App', ['urn:app']), 'relying-parties/app/authorization.rules': PERMIT_ALL });
  const directory = await openFixtureDirectory();
  const engine = await createDecisionEngine({ rulesDir: rules.dir, directory, now });
  t.teardown(async () => {
    await engine.close();
    await directory.close();
    await rules.done();
  });
  const known = manifest.devices.find((d) => d.expectedStatus === 'known')!;
  const request: DecisionRequest = { relyingParty: 'urn:app', device: { thumbprint: known.thumbprint } };
  await engine.decide(request);
  const hit = await engine.decide(request);
  t.equal(hit.decision, 'permit');
  t.equal(await engine.decide(request), hit, 'a repeated plain decision is the one shared, frozen object');
  t.ok(Object.isFrozen(hit));
  await rules.write({ 'relying-parties/app/authorization.rules': DENY_ALL });
  const reloaded = await engine.reload();
  t.ok(reloaded.changed);
  const after = await engine.decide(request);
  t.equal(after.decision, 'deny', 'the new rules decide, not the remembered outcome');
  t.equal(after.policyRevision, reloaded.revision);
  t.equal(after.device.source, 'cache', 'the device is still a cache hit');
  // A decision with caller claims is evaluated, not answered from the device-only outcome.
  await rules.write({ 'relying-parties/app/authorization.rules': 'c:[Type == "urn:test:role", Value == "admin"] => issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");\n' });
  await engine.reload();
  t.equal((await engine.decide(request)).decision, 'deny', 'no claims: no permit');
  t.equal((await engine.decide(request)).decision, 'deny', 'again, remembered');
  t.equal((await engine.decide({ ...request, claims: [makeClaim({ type: 'urn:test:role', value: 'admin' })] })).decision, 'permit', 'with the claim: permit');
  t.equal((await engine.decide(request)).decision, 'deny', 'and without it again: deny');
});
