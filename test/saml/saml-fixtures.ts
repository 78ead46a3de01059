/** Shared by the SAML tests: the generated sample tokens and the two signers' keys. */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Signer } from '../../scripts/fixtures/saml-tokens.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SAML_DIR = join(ROOT, 'fixtures/saml');
/** Every sample token is valid 2025-2035; decisions are made at this fixed time. */
export const NOW = new Date('2026-11-20T12:00:00Z');
export const PAYROLL = 'https://payroll.contoso.com/';
export const ADFS_CERT = readFileSync(join(SAML_DIR, 'adfs-signing.crt.pem'), 'utf8');
export const ROGUE_CERT = readFileSync(join(SAML_DIR, 'rogue-signing.crt.pem'), 'utf8');

const certOnly = (pem: string): string => pem.slice(pem.indexOf('-----BEGIN'));
const signer = (slug: string, cert: string): Signer => ({
  privateKey: createPrivateKey(readFileSync(join(SAML_DIR, `${slug}.key.pem`), 'utf8')),
  certificate: certOnly(cert),
});
export const ADFS: Signer = signer('adfs-signing', ADFS_CERT);
export const ROGUE: Signer = signer('rogue-signing', ROGUE_CERT);

interface Manifest {
  readonly referenceTime: string;
  readonly tokens: readonly { readonly name: string; readonly expect: string; readonly base64: string }[];
}
const manifest = JSON.parse(readFileSync(join(SAML_DIR, 'tokens.json'), 'utf8')) as Manifest;

/** A sample token by name: base64 as the API carries it. */
export function token(name: string): string {
  const t = manifest.tokens.find((x) => x.name === name);
  if (t === undefined) throw new Error(`no sample token "${name}" in fixtures/saml/tokens.json`);
  return t.base64;
}
export const tokenXml = (name: string): string => Buffer.from(token(name), 'base64').toString('utf8');
export const tokenNames = (): string[] => manifest.tokens.map((t) => t.name);
export const manifestReferenceTime = (): string => manifest.referenceTime;

export const SID = (rid: number): string => `S-1-5-21-2378277246-2682074319-435474115-${rid}`;
