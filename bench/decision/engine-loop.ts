/**
 * A tight loop of engine.decide() for one cached thumbprint over the sample rules/ and the LDIF fixture,
 * for profilers (`node --cpu-prof --import tsx bench/decision/engine-loop.ts`) and quick before/after checks.
 * Env: LOOP_N (200000), LOOP_RP (https://claims.contoso.com/), LOOP_CLAIMS=1 adds a user's claims.
 * Prints ns per decision (best of 5 batches); not a quality-bar benchmark.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeClaim, REQUEST_CLAIM_TYPES as R } from '../../src/claims/index.js';
import { openLdifDirectory } from '../../src/directory/index.js';
import { createDecisionEngine, type DecisionRequest } from '../../src/policy/index.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const N = Number(process.env.LOOP_N ?? 200_000);
const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/devices.json'), 'utf8')) as {
  referenceTime: string;
  devices: { expectedStatus: string; thumbprint: string }[];
  users: { sid: string; upn: string; name: string }[];
};
const at = new Date(manifest.referenceTime);
const known = manifest.devices.find((d) => d.expectedStatus === 'known')!;
const user = manifest.users[0]!;

const directory = await openLdifDirectory(join(ROOT, 'fixtures/contoso.ldif'));
const engine = await createDecisionEngine({ rulesDir: join(ROOT, 'rules'), directory, now: () => at });
const request: DecisionRequest = {
  relyingParty: process.env.LOOP_RP ?? 'https://claims.contoso.com/',
  device: { thumbprint: known.thumbprint },
  ...(process.env.LOOP_CLAIMS === '1'
    ? {
        claims: [
          makeClaim({ type: R.primarySid, value: user.sid, issuer: 'AD AUTHORITY' }),
          makeClaim({ type: R.upn, value: user.upn, issuer: 'AD AUTHORITY' }),
          makeClaim({ type: R.insideCorporateNetwork, value: 'true' }),
        ],
      }
    : {}),
};
const first = await engine.decide(request);
if (first.device.status !== 'known') throw new Error(`fixture device is ${first.device.status}, not known`);
let best = Infinity;
for (let batch = 0; batch < 5; batch++) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N / 5; i++) await engine.decide(request);
  best = Math.min(best, Number(process.hrtime.bigint() - start) / (N / 5));
}
console.log(`${request.relyingParty}: ${best.toFixed(0)} ns per cached decision (best of 5 x ${N / 5}); ${first.decision} (${first.reason.code})`);
await engine.close();
await directory.close();
