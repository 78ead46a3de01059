import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ServerError } from './errors.js';

export type Scope = 'decide' | 'admin';

/** One configured caller: the SHA-256 of its token (never the token) and its scope. */
export interface ApiToken {
  readonly sha256: Buffer;
  readonly scope: Scope;
}

const HASH = /^sha256:([0-9a-f]{64})$/i;

/**
 * Parses DEVICEGATE_API_TOKENS: comma-separated `sha256:<hex>` (scope decide) or
 * `admin:sha256:<hex>` (scope admin, which implies decide).
 */
export function parseApiTokens(value: string | undefined): ApiToken[] {
  if (value === undefined || value.trim() === '') return [];
  return value.split(',').map((raw, index) => {
    let entry = raw.trim();
    let scope: Scope = 'decide';
    if (entry.toLowerCase().startsWith('admin:')) {
      scope = 'admin';
      entry = entry.slice('admin:'.length);
    } else if (entry.toLowerCase().startsWith('decide:')) {
      entry = entry.slice('decide:'.length);
    }
    const match = HASH.exec(entry);
    if (!match) {
      throw new ServerError('DG_ERR_SERVER_CONFIG', `DEVICEGATE_API_TOKENS entry ${index + 1} is not "sha256:<64 hex>" or "admin:sha256:<64 hex>"`);
    }
    return { sha256: Buffer.from(match[1]!, 'hex'), scope };
  });
}

export function hashToken(token: string): Buffer {
  // One-shot hash: no Hash object per request (about a third of createHash's cost).
  return hash('sha256', token, 'buffer');
}

/** The value to put in DEVICEGATE_API_TOKENS for a token. */
export function tokenHashEntry(token: string, scope: Scope = 'decide'): string {
  return `${scope === 'admin' ? 'admin:' : ''}sha256:${hashToken(token).toString('hex')}`;
}

export function generateToken(): string {
  return `dg_${randomBytes(32).toString('base64url')}`;
}

/**
 * The scope a presented token grants, or undefined. Hashing first gives equal-length buffers, so
 * timingSafeEqual applies; every configured hash is compared, so timing does not reveal which matched.
 */
export function scopeOfToken(tokens: readonly ApiToken[], presented: string): Scope | undefined {
  const digest = hashToken(presented);
  let scope: Scope | undefined;
  for (const token of tokens) {
    if (timingSafeEqual(digest, token.sha256) && scope !== 'admin') scope = token.scope;
  }
  return scope;
}
