/**
 * The trust boundary on a typical caller claim set (user + 30 group SIDs + request context) vs the
 * toLowerCase filter it replaced, same run: `npx tsx bench/trust-boundary-compare.ts`. Prints ns per call
 * and the ratio; not part of run-all (a micro-measurement for the trust helper's report).
 */
import { Bench } from 'tinybench';
import { DEVICE_CLAIM_TYPES, makeClaim, REQUEST_CLAIM_TYPES as R, type Claim } from '../src/claims/index.js';
import { screenCallerClaims } from '../src/policy/index.js';

// The replaced filter, verbatim from src/policy/decision-engine.ts before issue 7.
const DEVICE_TYPES = new Set(Object.values(DEVICE_CLAIM_TYPES).map((t) => t.toLowerCase()));
const T_PRIMARY_SID = R.primarySid.toLowerCase();
const WATCHED_LENGTHS = new Set([...DEVICE_TYPES, T_PRIMARY_SID].map((t) => t.length));
function oldCallerClaims(claims: readonly Claim[]): { claims: readonly Claim[]; primarySid?: string } {
  let primarySid: string | undefined;
  let dropped = false;
  for (const c of claims) {
    if (!WATCHED_LENGTHS.has(c.type.length)) continue;
    const t = c.type.toLowerCase();
    if (DEVICE_TYPES.has(t)) dropped = true;
    else if (primarySid === undefined && t === T_PRIMARY_SID) primarySid = c.value;
  }
  const kept = dropped ? claims.filter((c) => !DEVICE_TYPES.has(c.type.toLowerCase())) : claims;
  return primarySid !== undefined ? { claims: kept, primarySid } : { claims: kept };
}

const claims: Claim[] = [
  makeClaim({ type: R.primarySid, value: 'S-1-5-21-1-2-3-1106' }),
  makeClaim({ type: R.upn, value: 'alice@contoso.com' }),
  makeClaim({ type: R.windowsAccountName, value: 'CONTOSO\\alice' }),
  makeClaim({ type: R.insideCorporateNetwork, value: 'true' }),
  makeClaim({ type: R.authnMethodsReferences, value: 'http://schemas.microsoft.com/claims/multipleauthn' }),
  ...Array.from({ length: 30 }, (_, i) => makeClaim({ type: R.groupSid, value: `S-1-5-21-1-2-3-${1200 + i}` })),
];
let sink = 0;
for (let round = 0; round < 3; round++) {
  const bench = new Bench({ time: 1000, warmupTime: 200 });
  bench.add('old toLowerCase filter', () => {
    sink += oldCallerClaims(claims).claims.length;
  });
  bench.add('trust boundary (claimTypeEquals)', () => {
    sink += screenCallerClaims(claims).claims.length;
  });
  await bench.run();
  const [a, b] = bench.tasks.map((t) => (t.result as { latency: { mean: number } }).latency.mean * 1e6);
  console.log(`round ${round + 1}: old ${a!.toFixed(0)} ns, boundary ${b!.toFixed(0)} ns per call of ${claims.length} claims; ratio ${(b! / a!).toFixed(2)}`);
}
if (sink < 0) console.log(sink);
