import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDecisionEngine, type Decision } from '../../src/policy/index.js';
import { certificatePem, device, manifest, now, openFixtureDirectory, RULES, tempRules, user, userClaims } from './helpers.js';

// Every fixture device x every sample relying party, presented by certificate (the AD FS path), by the
// device's owner. Expected values are written out by hand from fixtures/devices.json and rules/.
type D = 'permit' | 'deny' | 'mfa_required';
type Cell = readonly [D, string];
const P = (code: string): Cell => ['permit', code];
const N = (code: string): Cell => ['deny', code];
const M: Cell = ['mfa_required', 'mfa_required'];

interface Row {
  status: string;
  payroll: Cell;
  intranet: Cell;
  registered: Cell;
  extranetInside: Cell;
  extranetOutside: Cell;
  claimsApp: Cell;
}

const TABLE: Record<string, Row> = {
  'hybrid-compliant': { status: 'known', payroll: P('permit_rule'), intranet: P('policy_permit'), registered: P('permit_rule'), extranetInside: P('permit_rule'), extranetOutside: M, claimsApp: P('permit_rule') },
  'entra-compliant': { status: 'known', payroll: P('permit_rule'), intranet: P('policy_permit'), registered: P('permit_rule'), extranetInside: P('permit_rule'), extranetOutside: M, claimsApp: P('permit_rule') },
  'byod-personal': { status: 'known', payroll: N('no_permit'), intranet: P('policy_permit'), registered: P('permit_rule'), extranetInside: P('permit_rule'), extranetOutside: M, claimsApp: P('permit_rule') },
  'managed-noncompliant': { status: 'known', payroll: N('no_permit'), intranet: P('policy_permit'), registered: P('permit_rule'), extranetInside: P('permit_rule'), extranetOutside: M, claimsApp: P('permit_rule') },
  disabled: { status: 'disabled', payroll: N('no_permit'), intranet: M, registered: N('no_permit'), extranetInside: P('permit_rule'), extranetOutside: M, claimsApp: P('permit_rule') },
  stale: { status: 'stale', payroll: N('no_permit'), intranet: M, registered: N('no_permit'), extranetInside: P('permit_rule'), extranetOutside: M, claimsApp: P('permit_rule') },
  // bob is in Payroll Blocked: the deny rule wins over the compliant-device permit.
  'rejoined-old': { status: 'known', payroll: N('deny_rule'), intranet: P('policy_permit'), registered: P('permit_rule'), extranetInside: P('permit_rule'), extranetOutside: M, claimsApp: P('permit_rule') },
  rejoined: { status: 'known', payroll: N('deny_rule'), intranet: P('policy_permit'), registered: P('permit_rule'), extranetInside: P('permit_rule'), extranetOutside: M, claimsApp: P('permit_rule') },
  'expired-cert': { status: 'untrusted_certificate', payroll: N('no_permit'), intranet: M, registered: N('no_permit'), extranetInside: P('permit_rule'), extranetOutside: M, claimsApp: P('permit_rule') },
  'foreign-issuer': { status: 'untrusted_certificate', payroll: N('deny_rule'), intranet: M, registered: N('no_permit'), extranetInside: P('permit_rule'), extranetOutside: M, claimsApp: P('permit_rule') },
  'not-in-ad': { status: 'unknown', payroll: N('no_permit'), intranet: M, registered: N('no_permit'), extranetInside: P('permit_rule'), extranetOutside: M, claimsApp: P('permit_rule') },
};

const RP = {
  payroll: 'urn:contoso:payroll',
  preview: 'https://payroll-preview.contoso.com/',
  intranet: 'https://intranet.contoso.com/',
  registered: 'https://apps.contoso.com/registered/',
  extranet: 'https://extranet.contoso.com/',
  claimsApp: 'https://claims.contoso.com/',
};

t.test('the table covers every fixture device', async (t) => {
  t.same(Object.keys(TABLE).sort(), manifest.devices.map((d) => d.slug).sort());
  for (const [slug, row] of Object.entries(TABLE)) t.equal(row.status, device(slug).expectedStatus, `${slug}: the table agrees with the manifest`);
});

t.test('decision table: fixture devices x sample relying parties (LDIF)', async (t) => {
  const directory = await openFixtureDirectory();
  const engine = await createDecisionEngine({ rulesDir: RULES, directory, now, ownsDirectory: true });
  t.teardown(() => engine.close());

  const check = (d: Decision, expected: Cell, label: string): void => {
    t.equal(d.decision, expected[0], `${label}: decision`);
    t.equal(d.reason.code, expected[1], `${label}: reason ${d.reason.message}`);
  };

  for (const [slug, row] of Object.entries(TABLE)) {
    const fixture = device(slug);
    const owner = manifest.users.find((u) => u.sid === fixture.directory?.owner) ?? user('alice');
    const presented = { certificate: certificatePem(slug) };
    const ask = (relyingParty: string, inside = true) => engine.decide({ relyingParty, device: presented, claims: userClaims(owner, inside) });

    const payroll = await ask(RP.payroll);
    t.equal(payroll.device.status, row.status, `${slug}: device status`);
    if (row.status === 'known') {
      t.equal(payroll.device.id, fixture.deviceId, `${slug}: device id`);
      t.equal(payroll.device.displayName, fixture.displayName, `${slug}: display name`);
    }
    check(payroll, row.payroll, `${slug} payroll`);
    if (row.payroll[1] !== 'no_permit') t.ok(payroll.reason.rule, `${slug} payroll: the reason names a rule`);
    check(await ask(RP.intranet), row.intranet, `${slug} intranet`);
    check(await ask(RP.registered), row.registered, `${slug} registered-device`);
    check(await ask(RP.extranet, true), row.extranetInside, `${slug} extranet inside`);
    check(await ask(RP.extranet, false), row.extranetOutside, `${slug} extranet outside`);
    check(await ask(RP.claimsApp), row.claimsApp, `${slug} claims-app`);

    const preview = await ask(RP.preview);
    t.equal(preview.decision, 'permit', `${slug} payroll-preview answers permit (reportOnly)`);
    t.equal(preview.reason.code, 'report_only');
    t.same([preview.enforcement?.decision, preview.enforcement?.reason.code], [...row.payroll], `${slug} payroll-preview enforcement = payroll`);
  }

  // No device at all.
  const dan = user('dan');
  const none = await engine.decide({ relyingParty: RP.payroll, claims: userClaims(dan) });
  t.same([none.device.status, none.device.source, none.decision, none.reason.code], ['not_presented', 'none', 'deny', 'no_permit']);
  t.equal((await engine.decide({ relyingParty: RP.intranet, claims: userClaims(dan) })).decision, 'mfa_required');
  t.equal((await engine.decide({ relyingParty: RP.registered, claims: userClaims(dan) })).decision, 'deny');
});

// An identifier proves nothing: with the default identifierPresentations "trusted" it is looked up as
// the farm's trust model says, and every decision says how the device was identified (proof).
t.test('thumbprint and device ID presentations skip the certificate checks, and say so (proof identifier)', async (t) => {
  const directory = await openFixtureDirectory();
  const engine = await createDecisionEngine({ rulesDir: RULES, directory, now, ownsDirectory: true });
  t.teardown(() => engine.close());
  const cases: [string, { thumbprint: string } | { deviceId: string }, string][] = [
    ['expired-cert by thumbprint', { thumbprint: device('expired-cert').thumbprint }, 'known'],
    ['foreign-issuer by device ID', { deviceId: device('foreign-issuer').deviceId }, 'known'],
    ['disabled by thumbprint (lower case, colons)', { thumbprint: device('disabled').thumbprint.toLowerCase().replace(/(..)(?!$)/g, '$1:') }, 'disabled'],
    ['stale by device ID in braces', { deviceId: `{${device('stale').deviceId.toUpperCase()}}` }, 'stale'],
    ['rejoined-old key still finds the device', { thumbprint: device('rejoined-old').thumbprint }, 'known'],
    ['not-in-ad by thumbprint', { thumbprint: device('not-in-ad').thumbprint }, 'unknown'],
  ];
  for (const [name, presented, status] of cases) {
    const d = await engine.decide({ relyingParty: RP.intranet, device: presented });
    t.equal(d.device.status, status, name);
    t.equal(d.device.proof, 'identifier', `${name}: proof`);
  }
  const byCert = await engine.decide({ relyingParty: RP.intranet, device: { certificate: certificatePem('expired-cert') } });
  t.same([byCert.device.status, byCert.device.proof], ['untrusted_certificate', 'certificate'], 'the same device by its certificate');
  const again = await engine.decide({ relyingParty: RP.intranet, device: { thumbprint: device('expired-cert').thumbprint } });
  t.equal(again.device.source, 'cache', 'the second look-up is served from the cache');
});

t.test('identifierPresentations "untrusted": the expired-certificate device by thumbprint is not known', async (t) => {
  const rules = await tempRules({}, true);
  t.teardown(rules.done);
  const farm = JSON.parse(readFileSync(join(rules.dir, 'farm.json'), 'utf8')) as Record<string, unknown>;
  await rules.write({ 'farm.json': JSON.stringify({ ...farm, identifierPresentations: 'untrusted' }) });
  const directory = await openFixtureDirectory();
  const engine = await createDecisionEngine({ rulesDir: rules.dir, directory, now, ownsDirectory: true });
  t.teardown(() => engine.close());
  for (const presented of [{ thumbprint: device('expired-cert').thumbprint }, { deviceId: device('foreign-issuer').deviceId }, { thumbprint: device('hybrid-compliant').thumbprint }]) {
    const d = await engine.decide({ relyingParty: RP.payroll, device: presented, explain: true });
    t.same([d.device.status, d.device.proof, d.decision], ['untrusted_identifier', 'identifier', 'deny'], JSON.stringify(presented));
    t.notOk(d.trace?.find((e) => e.stage === 'device')?.produced, 'no device claims');
  }
  const cert = await engine.decide({ relyingParty: RP.payroll, device: { certificate: certificatePem('hybrid-compliant') } });
  t.same([cert.device.status, cert.device.proof, cert.decision], ['known', 'certificate', 'permit'], 'a certificate still proves the device');
  t.equal((await engine.describeDevice({ thumbprint: device('hybrid-compliant').thumbprint })).status, 'known', 'look-ups (devicegate device, GET /v1/devices) are not decisions');
});
