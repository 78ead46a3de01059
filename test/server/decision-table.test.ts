/**
 * The full decision table over HTTP against a real slapd: every fixture device (presented by its
 * certificate) and no device, times every sample relying party. Expected cells are written from the
 * sample rules' meaning (rules/relying-parties/*), not read back from the engine.
 */
import t from 'tap';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSlapd } from '../harness/index.js';
import { openDirectory } from '../../src/directory/index.js';
import { createDecisionEngine } from '../../src/policy/index.js';
import { buildServer, parseApiTokens, tokenHashEntry } from '../../src/server/index.js';
import { LDIF, ROOT, RULES } from './fixture-app.js';

interface ManifestDevice { slug: string; certificate: string; expectedStatus: string }
const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/devices.json'), 'utf8')) as { referenceTime: string; maxInactiveDays: number; devices: ManifestDevice[] };

// The caller: Alice (RID 1106), outside the corporate network, no MFA yet.
const DOMAIN_SID = 'S-1-5-21-2378277246-2682074319-435474115';
const CLAIMS = [
  { type: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', value: 'alice@contoso.com' },
  { type: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid', value: `${DOMAIN_SID}-1106` },
  { type: 'http://schemas.microsoft.com/ws/2012/01/insidecorporatenetwork', value: 'false' },
];

const RPS = {
  payroll: 'https://payroll.contoso.com/',
  'payroll-preview': 'https://payroll-preview.contoso.com/',
  extranet: 'https://extranet.contoso.com/',
  intranet: 'https://intranet.contoso.com/',
  'registered-device': 'https://apps.contoso.com/registered/',
  'claims-app': 'https://claims.contoso.com/',
} as const;
type Rp = keyof typeof RPS;

// Cell shorthand: P permit_rule, N deny/no_permit, M mfa_required, A ACP permit (policy_permit), R reportOnly (permit/report_only; enforcement in ENFORCED).
const P = ['permit', 'permit_rule'] as const;
const N = ['deny', 'no_permit'] as const;
const M = ['mfa_required', 'mfa_required'] as const;
const A = ['permit', 'policy_permit'] as const;
const R = ['permit', 'report_only'] as const;

//                          status                   payroll  preview extranet intranet registered claims-app
const TABLE: Record<string, [string, ...(readonly [string, string])[]]> = {
  'hybrid-compliant':     ['known',                 P, R, M, A, N, P], // compliant; registered to 1105, not Alice
  'entra-compliant':      ['known',                 P, R, M, A, P, P], // cloud-managed, compliant, Alice's
  'byod-personal':        ['known',                 N, R, M, A, P, P], // not compliant (absent), Alice's
  'managed-noncompliant': ['known',                 N, R, M, A, N, P],
  disabled:               ['disabled',              N, R, M, M, N, P],
  stale:                  ['stale',                 N, R, M, M, N, P],
  'rejoined-old':         ['known',                 P, R, M, A, N, P], // a second key on the same object
  rejoined:               ['known',                 P, R, M, A, N, P],
  'expired-cert':         ['untrusted_certificate', N, R, M, M, N, P],
  'foreign-issuer':       ['untrusted_certificate', N, R, M, M, N, P],
  'not-in-ad':            ['unknown',               N, R, M, M, N, P],
  '(none)':               ['not_presented',         N, R, M, M, N, P],
};
const ORDER: Rp[] = ['payroll', 'payroll-preview', 'extranet', 'intranet', 'registered-device', 'claims-app'];

t.test('decision table over HTTP against slapd', async (t) => {
  let slapd;
  try {
    slapd = await startSlapd(LDIF);
  } catch (error) {
    t.plan(0, `slapd not available: ${(error as Error).message.split('\n')[0]}`);
    return;
  }
  t.teardown(() => slapd.stop());

  // The sample rules with stale detection on, as the fixture manifest assumes.
  const rulesDir = mkdtempSync(join(tmpdir(), 'dg-table-rules-'));
  t.teardown(() => rmSync(rulesDir, { recursive: true, force: true }));
  cpSync(RULES, rulesDir, { recursive: true });
  const farm = JSON.parse(readFileSync(join(rulesDir, 'farm.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(rulesDir, 'farm.json'), JSON.stringify({ ...farm, maxInactiveDays: manifest.maxInactiveDays }));

  const directory = await openDirectory({ url: slapd.url, bindDn: slapd.bindDn, password: slapd.password });
  t.teardown(() => directory.close());
  const referenceTime = new Date(manifest.referenceTime);
  const engine = await createDecisionEngine({ rulesDir, directory, now: () => referenceTime });
  const app = await buildServer({ engine, auth: { tokens: parseApiTokens(tokenHashEntry('t')) }, limits: { maxEventLoopDelayMs: 0 } });
  t.teardown(() => app.close());

  t.same(Object.keys(TABLE).filter((k) => k !== '(none)').sort(), manifest.devices.map((d) => d.slug).sort(), 'the table covers every fixture device');

  for (const [slug, [status, ...cells]] of Object.entries(TABLE)) {
    const entry = manifest.devices.find((d) => d.slug === slug);
    if (entry) t.equal(status, entry.expectedStatus, `${slug}: table status agrees with the manifest`);
    const device = entry ? { certificate: readFileSync(join(ROOT, entry.certificate), 'utf8') } : undefined;
    for (const [i, rp] of ORDER.entries()) {
      const [decision, code] = cells[i]!;
      const res = await app.inject({
        method: 'POST',
        url: '/v1/decisions',
        headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
        payload: JSON.stringify({ relyingParty: RPS[rp], ...(device ? { device } : {}), claims: CLAIMS }),
      });
      t.equal(res.statusCode, 200, `${slug} × ${rp}: ${res.body.slice(0, 200)}`);
      const body = res.json() as { decision: string; reason: { code: string }; device: { status: string }; enforcement?: { decision: string; reason: { code: string } } };
      t.same([body.device.status, body.decision, body.reason.code], [status, decision, code], `${slug} × ${rp}`);
      if (rp === 'payroll-preview') {
        const [enforced, enforcedCode] = cells[0]!;
        t.same([body.enforcement?.decision, body.enforcement?.reason.code], [enforced, enforcedCode], `${slug} × ${rp}: enforcement = payroll`);
      }
    }
  }
});
