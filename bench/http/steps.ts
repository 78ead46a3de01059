/**
 * What each step of a cached POST /v1/decisions costs on its own, ns per call (best of 5 rounds):
 * the body parse, Ajv's validation as the server configures it (and with Unicode lengths, as Ajv's
 * default), the response serializer vs JSON.stringify, the bearer-token check (hashing vs remembered),
 * and the engine (decideNow vs decide) for a thumbprint and for a certificate.
 * A guide for profiling, not a quality-bar benchmark: `npx tsx bench/http/steps.ts`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import fastJsonStringify from 'fast-json-stringify';
import { openLdifDirectory } from '../../src/directory/index.js';
import { createDecisionEngine, type DecisionRequest } from '../../src/policy/index.js';
import { callerOfToken, generateToken, hashToken, TokenVerifier } from '../../src/server/api-tokens.js';
import { DecisionRequestBody, DecisionResponse } from '../../src/server/schemas/decision-schemas.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/devices.json'), 'utf8')) as { devices: { expectedStatus: string; thumbprint: string; certificate: string }[] };
const known = manifest.devices.find((d) => d.expectedStatus === 'known')!;
const relyingParty = 'https://claims.contoso.com/';
const thumbprintBody = { relyingParty, device: { thumbprint: known.thumbprint } };
const certificateBody = { relyingParty, device: { certificate: readFileSync(join(ROOT, known.certificate), 'utf8') } };

type AjvClass = new (options: Record<string, unknown>) => { compile(schema: unknown): (data: unknown) => boolean };
const Ajv = ((AjvModule as unknown as { default?: AjvClass }).default ?? AjvModule) as unknown as AjvClass;
const quiet = { log: () => undefined, warn: () => undefined, error: console.error };
const options = { coerceTypes: false, useDefaults: false, removeAdditional: false, allErrors: false, logger: quiet };
const validateAsServed = new Ajv({ ...options, unicode: false }).compile(DecisionRequestBody);
const validateCodePoints = new Ajv(options).compile(DecisionRequestBody);
const serialize = (fastJsonStringify as unknown as (schema: unknown) => (value: unknown) => string)(DecisionResponse);

const directory = await openLdifDirectory(join(ROOT, 'fixtures/contoso.ldif'));
const engine = await createDecisionEngine({ rulesDir: join(ROOT, 'rules'), directory });
const byThumbprint: DecisionRequest = { relyingParty, device: thumbprintBody.device };
const byCertificate: DecisionRequest = { relyingParty, device: certificateBody.device };
const decision = await engine.decide(byThumbprint);
await engine.decide(byCertificate);
const token = generateToken();
const tokens = [{ sha256: hashToken(token), scope: 'admin' as const, name: 'bench' }];
const verifier = new TokenVerifier(tokens);
const thumbprintText = JSON.stringify(thumbprintBody);
const certificateText = JSON.stringify(certificateBody);

async function time(name: string, step: () => unknown, n = 100_000): Promise<void> {
  for (let i = 0; i < n / 10; i++) await step();
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const value = step();
      if (value instanceof Promise) await value;
    }
    best = Math.min(best, Number(process.hrtime.bigint() - start) / n);
  }
  process.stdout.write(`${name.padEnd(44)} ${best.toFixed(0).padStart(6)} ns\n`);
}

await time('JSON.parse, thumbprint body', () => JSON.parse(thumbprintText));
await time('JSON.parse, certificate body', () => JSON.parse(certificateText));
await time('validate thumbprint body (as served)', () => validateAsServed(thumbprintBody));
await time('validate certificate body (as served)', () => validateAsServed(certificateBody));
await time('validate certificate body (code points)', () => validateCodePoints(certificateBody));
await time('serialize decision (response schema)', () => serialize(decision));
await time('JSON.stringify decision', () => JSON.stringify(decision));
await time('token: hash and compare (callerOfToken)', () => callerOfToken(tokens, token));
await time('token: remembered (TokenVerifier)', () => verifier.callerOf(token));
await time('engine.decideNow, cached thumbprint', () => engine.decideNow(byThumbprint));
await time('engine.decide, cached thumbprint', () => engine.decide(byThumbprint));
await time('engine.decideNow, cached certificate', () => engine.decideNow(byCertificate));
await engine.close();
await directory.close();
