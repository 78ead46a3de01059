/**
 * In-process per-request cost of the cached decision route vs a bare route with the same reply, via
 * Fastify inject() (no sockets, so the difference is our server layer + engine, not the kernel).
 * For profilers: `node --cpu-prof --import tsx bench/http/inject-loop.ts` (LOOP_ONLY=devicegate).
 * Env: LOOP_N (20000 per round), LOOP_ROUNDS (6), LOOP_PRESENTATION (thumbprint | certificate). Prints CPU µs per request; not the quality-bar benchmark.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { openLdifDirectory } from '../../src/directory/index.js';
import { createDecisionEngine } from '../../src/policy/index.js';
import { buildServer, generateToken, hashToken } from '../../src/server/index.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const N = Number(process.env.LOOP_N ?? 20_000);
const ROUNDS = Number(process.env.LOOP_ROUNDS ?? 6);
const only = process.env.LOOP_ONLY;
const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/devices.json'), 'utf8')) as { devices: { expectedStatus: string; thumbprint: string; certificate: string }[] };
const known = manifest.devices.find((d) => d.expectedStatus === 'known')!;
// LOOP_PRESENTATION=certificate: the known device's PEM instead of its thumbprint.
const device = process.env.LOOP_PRESENTATION === 'certificate' ? { certificate: readFileSync(join(ROOT, known.certificate), 'utf8') } : { thumbprint: known.thumbprint };
const token = generateToken();
const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
const payload = JSON.stringify({ relyingParty: process.env.LOOP_RP ?? 'https://claims.contoso.com/', device });

const directory = await openLdifDirectory(join(ROOT, 'fixtures/contoso.ldif'));
const engine = await createDecisionEngine({ rulesDir: join(ROOT, 'rules'), directory });
const devicegate = await buildServer({ engine, logLevel: 'warn', auth: { tokens: [{ sha256: hashToken(token), scope: 'admin' }] } });
await devicegate.ready();
const first = await devicegate.inject({ method: 'POST', url: '/v1/decisions', headers, payload });
if (first.statusCode !== 200) throw new Error(`decision failed: ${first.statusCode} ${first.body}`);
const reply = JSON.parse(first.body) as unknown;
const bare: FastifyInstance = Fastify({ logger: false });
bare.post('/v1/decisions', async () => reply);
await bare.ready();

/** CPU time (user + system) per request, µs: steadier than wall time on a shared machine. */
async function round(app: FastifyInstance): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < N; i++) await app.inject({ method: 'POST', url: '/v1/decisions', headers, payload });
  const used = process.cpuUsage(start);
  return (used.user + used.system) / N;
}

const results: { bare: number[]; devicegate: number[] } = { bare: [], devicegate: [] };
for (let r = 0; r < ROUNDS; r++) {
  if (only !== 'devicegate') results.bare.push(await round(bare));
  if (only !== 'bare') results.devicegate.push(await round(devicegate));
}
const min = (xs: number[]): number => Math.min(...xs);
const b = min(results.bare.slice(1));
const d = min(results.devicegate.slice(1));
console.log(`inject: bare ${b.toFixed(1)} µs, devicegate ${d.toFixed(1)} µs CPU per request (best of ${ROUNDS - 1} x ${N}); extra ${(d - b).toFixed(1)} µs; reply ${first.body.length} bytes`);
await Promise.all([bare.close(), devicegate.close()]);
await directory.close();
