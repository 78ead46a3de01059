// The trust boundary for caller claims: device-context and authorization claim types never come from
// the caller, whatever their scheme, case or Unicode spelling, decided with the evaluator's own
// `Type ==` comparison. Includes the property test of issue 7's acceptance.
import t from 'tap';
import fc from 'fast-check';
import { AUTHORIZATION_CLAIM_TYPES, DEVICE_CLAIM_TYPES, makeClaim, REQUEST_CLAIM_TYPES as R, type Claim } from '../../src/claims/index.js';
import { compileRuleSet } from '../../src/language/index.js';
import { createDecisionEngine, isProtectedClaimType, screenCallerClaims, type DecisionEngine } from '../../src/policy/index.js';
import { FORGERY_PARTIES, forgeryRules } from './forgery-rules.js';
import { now, openFixtureDirectory, user, userClaims } from './helpers.js';

const PROTECTED = [...Object.values(DEVICE_CLAIM_TYPES), ...Object.values(AUTHORIZATION_CLAIM_TYPES)];
const PAYROLL = 'https://payroll.contoso.com/';
const SAMPLE_PARTIES = [PAYROLL, 'https://payroll-preview.contoso.com/', 'https://intranet.contoso.com/', 'https://extranet.contoso.com/', 'https://claims.contoso.com/'];

/** Characters the evaluator's case-insensitive comparison folds onto ASCII letters (and one that it does not). */
const UNICODE_SPELLINGS: Readonly<Record<string, readonly string[]>> = {
  s: ['\u017F'], // LATIN SMALL LETTER LONG S: upper case S
  i: ['\u0131', '\u0130'], // dotless i (upper case I); capital I with dot (lower case is two characters: no match)
  k: ['\u212A'], // KELVIN SIGN: lower case k
  K: ['\u212A'],
};

/** One spelling of a type: scheme http or https in any case, each letter in either case or a Unicode look-alike. */
function spelling(type: string): fc.Arbitrary<string> {
  const rest = type.slice('http'.length);
  const chars = [...rest].map((ch) => {
    const options = [ch, ch.toUpperCase(), ch.toLowerCase(), ...(UNICODE_SPELLINGS[ch] ?? []), ...(UNICODE_SPELLINGS[ch.toLowerCase()] ?? [])];
    return fc.constantFrom(...new Set(options));
  });
  const scheme = fc.tuple(fc.constantFrom('h', 'H'), fc.constantFrom('t', 'T'), fc.constantFrom('t', 'T'), fc.constantFrom('p', 'P'), fc.constantFrom('', 's', 'S', '\u017F'));
  return fc.tuple(scheme, fc.tuple(...chars)).map(([s, r]) => `${s.join('')}${r.join('')}`);
}

const protectedSpelling = fc.constantFrom(...PROTECTED).chain(spelling);

t.test('every scheme, case and Unicode spelling the evaluator matches is protected (same comparator)', async (t) => {
  // The oracle is the evaluator itself: a `Type == "<type>"` rule over a claim of the spelling.
  const sets = new Map(PROTECTED.map((type) => [type, compileRuleSet(`c:[Type == "${type}"] => issue(Type = "hit", Value = "1");`).ruleSet!] as const));
  const httpsSets = new Map(PROTECTED.map((type) => [type, compileRuleSet(`c:[Type == "${type.replace('http:', 'https:')}"] => issue(Type = "hit", Value = "1");`).ruleSet!] as const));
  let matched = 0;
  fc.assert(
    fc.property(fc.constantFrom(...PROTECTED), fc.nat(), (type, seed) => {
      const [s] = fc.sample(spelling(type), { numRuns: 1, seed });
      const c = [makeClaim({ type: s!, value: 'true' })];
      const hit = sets.get(type)!.evaluate(c).output.length > 0 || httpsSets.get(type)!.evaluate(c).output.length > 0;
      if (hit) matched++;
      return !hit || isProtectedClaimType(s!);
    }),
    { numRuns: 3000 },
  );
  t.ok(matched > 300, `many generated spellings are ones the evaluator matches (${matched})`);

  for (const [name, type] of [
    ['long s', 'http://schemas.microsoft.com/2014/09/devicecontext/claims/i\u017Fcompliant'],
    ['dotless i', 'http://schemas.microsoft.com/2014/09/devicecontext/claims/\u0131scompliant'],
    ['Kelvin sign', 'http://schemas.microsoft.com/2014/02/devicecontext/claims/is\u212Anown'],
    ['https', 'https://schemas.microsoft.com/2014/09/devicecontext/claims/iscompliant'],
    ['https with long s', 'http\u017F://schemas.microsoft.com/2014/09/devicecontext/claims/iscompliant'],
    ['upper case', 'HTTP://SCHEMAS.MICROSOFT.COM/2014/09/DEVICECONTEXT/CLAIMS/ISCOMPLIANT'],
    ['permit', 'http://schemas.microsoft.com/authorization/claims/permit'],
    ['deny, https, upper case', 'HTTPS://schemas.microsoft.com/authorization/claims/DENY'],
    ['a device-context type devicegate does not issue', 'http://schemas.microsoft.com/2012/01/devicecontext/claims/ismanagedbyintune'],
    ['the same namespace with a long s', 'http://\u017Fchemas.microsoft.com/2014/09/devicecontext/claims/whatever'],
  ] as const) {
    t.ok(isProtectedClaimType(type), `protected: ${name}`);
  }
  for (const type of [...Object.values(R), 'urn:test:x', 'http://schemas.microsoft.com/2014/09/devicecontext', 'http://schemas.microsoft.com/authorization/claims/perm\u0130t']) {
    t.notOk(isProtectedClaimType(type), `not protected: ${type}`);
  }
});

t.test('screenCallerClaims drops protected claims, keeps the rest in order, finds primarysid', async (t) => {
  const keep = [makeClaim({ type: R.upn, value: 'a@contoso.com' }), makeClaim({ type: R.primarySid.toUpperCase(), value: 'S-1-5-21-1' })];
  const forged = makeClaim({ type: 'http://schemas.microsoft.com/2014/09/devicecontext/claims/i\u017Fcompliant', value: 'true' });
  const out = screenCallerClaims([keep[0]!, forged, keep[1]!]);
  t.same(out.claims, keep);
  t.same(out.dropped, [forged]);
  t.equal(out.primarySid, 'S-1-5-21-1');
  const clean = screenCallerClaims(keep);
  t.equal(clean.claims, keep, 'nothing dropped: the same array, no copy');
  t.equal(clean.dropped.length, 0);
});

async function engineFor(t: { teardown(fn: () => unknown): void }, farmExtra: Record<string, unknown> = {}): Promise<DecisionEngine> {
  const directory = await openFixtureDirectory();
  const engine = await createDecisionEngine({ rulesDir: forgeryRules(t, farmExtra), directory, now, ownsDirectory: true });
  t.teardown(() => engine.close());
  return engine;
}

t.test('forged device and authorization claims do not permit (no device presented)', async (t) => {
  const engine = await engineFor(t);
  const alice = userClaims(user('alice'));
  const forge = (type: string, value = 'true'): Claim[] => [...alice, makeClaim({ type, value, issuer: 'LOCAL AUTHORITY', originalIssuer: 'LOCAL AUTHORITY' })];
  const cases: [string, string, Claim[]][] = [
    ['payroll, iscompliant with U+017F (was permit)', PAYROLL, forge('http://schemas.microsoft.com/2014/09/devicecontext/claims/i\u017Fcompliant')],
    ['payroll, iscompliant with dotless i', PAYROLL, forge('http://schemas.microsoft.com/2014/09/devicecontext/claims/\u0131scompliant')],
    ['payroll, iscompliant upper case', PAYROLL, forge(DEVICE_CLAIM_TYPES.isCompliant.toUpperCase())],
    ['https rule, https iscompliant', 'urn:test:https-rule', forge(DEVICE_CLAIM_TYPES.isCompliant.replace('http:', 'https:'))],
    ['https rule, https iscompliant spelled httpſ', 'urn:test:https-rule', forge(DEVICE_CLAIM_TYPES.isCompliant.replace('http:', 'http\u017F:'))],
    ['any device claim, isknown with a Kelvin sign', 'urn:test:any-device-claim', forge('http://schemas.microsoft.com/2014/02/devicecontext/claims/is\u212Anown')],
    ['any device claim, deviceusagetime', 'urn:test:any-device-claim', forge(DEVICE_CLAIM_TYPES.usageTime, '2026-11-20T00:00:00Z')],
    ['forwarded permit', 'urn:test:forwards-permit', forge(AUTHORIZATION_CLAIM_TYPES.permit)],
    ['forwarded permit, https and upper case', 'urn:test:forwards-permit', forge('HTTPS://SCHEMAS.MICROSOFT.COM/AUTHORIZATION/CLAIMS/PERMIT')],
    ['intranet (MFA unless a known device), isknown forged', 'https://intranet.contoso.com/', forge(DEVICE_CLAIM_TYPES.isKnown)],
  ];
  for (const [name, rp, claims] of cases) {
    const d = await engine.decide({ relyingParty: rp, claims });
    const clean = await engine.decide({ relyingParty: rp, claims: alice });
    t.not(d.decision, 'permit', name);
    t.same([d.decision, d.reason], [clean.decision, clean.reason], `${name}: as without the forged claim`);
    t.equal(d.device.status, 'not_presented', `${name}: no device`);
  }
});

t.test('the trace shows what the boundary dropped', async (t) => {
  const engine = await engineFor(t);
  const forged = 'http://schemas.microsoft.com/2014/09/devicecontext/claims/i\u017Fcompliant';
  const d = await engine.decide({ relyingParty: PAYROLL, claims: [...userClaims(user('alice')), makeClaim({ type: forged, value: 'true' })], explain: true });
  const entry = d.trace?.find((e) => e.stage === 'caller_claims');
  t.match(entry, { rule: 'trust boundary', fired: true, note: /dropped 1 caller claim/ });
  t.ok(entry?.note?.includes(forged), 'names the dropped type');
  t.ok(d.trace?.every((e) => (e.produced ?? []).every((c) => c.type !== forged)), 'the forged claim appears in no stage');
  const clean = await engine.decide({ relyingParty: PAYROLL, claims: userClaims(user('alice')), explain: true });
  t.notOk(clean.trace?.some((e) => e.stage === 'caller_claims'), 'no entry when nothing was dropped');
});

// Issue 7 acceptance: for random caller claim sets drawn from the device/authorization types in any
// case, scheme and Unicode spelling, a decision without a device equals the one without those claims.
t.test('property: forged claims never change a decision without a device', async (t) => {
  const engine = await engineFor(t);
  const parties = [...SAMPLE_PARTIES, ...Object.keys(FORGERY_PARTIES)];
  const forgedClaim = fc.record({
    type: protectedSpelling,
    value: fc.constantFrom('true', 'True', 'TRUE', '1', 'false', '2', 'DenyUsersWithClaim', ''),
    issuer: fc.constantFrom('LOCAL AUTHORITY', 'AD AUTHORITY', 'http://adfs.contoso.com/adfs/services/trust'),
  });
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...parties),
      fc.constantFrom('dan', 'alice', 'bob'),
      fc.boolean(),
      fc.array(forgedClaim, { minLength: 1, maxLength: 5 }),
      fc.boolean(),
      async (rp, who, inside, forged, first) => {
        runs++;
        const base = userClaims(user(who), inside);
        const extra = forged.map((f) => makeClaim({ type: f.type, value: f.value, issuer: f.issuer, originalIssuer: f.issuer }));
        const withForged = await engine.decide({ relyingParty: rp, claims: first ? [...extra, ...base] : [...base, ...extra] });
        const without = await engine.decide({ relyingParty: rp, claims: base });
        return withForged.decision === without.decision && withForged.reason.code === without.reason.code && withForged.reason.rule === without.reason.rule;
      },
    ),
    { numRuns: 300 },
  );
  t.equal(runs >= 300, true, `${runs} runs`);
});
