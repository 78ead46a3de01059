import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ServerError } from './errors.js';

export type Scope = 'decide' | 'admin';

/** One configured caller: the SHA-256 of its token (never the token), its scope and its name. */
export interface ApiToken {
  readonly sha256: Buffer;
  readonly scope: Scope;
  /** Shown in logs and the audit log instead of the token: the entry's `NAME=`, else `token#<position>`. */
  readonly name?: string;
}

const HASH = /^sha256:([0-9a-f]{64})$/i;
/** A caller name: letters, digits and . _ @ - (no commas, colons or '='; it goes into log lines as is). */
export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/**
 * Parses DEVICEGATE_API_TOKENS: comma-separated `[NAME=][admin:|decide:]sha256:<hex>` entries
 * (scope decide unless `admin:`; admin implies decide). NAME names the caller in logs.
 */
export function parseApiTokens(value: string | undefined): ApiToken[] {
  if (value === undefined || value.trim() === '') return [];
  return value.split(',').map((raw, index) => {
    let entry = raw.trim();
    let name = `token#${index + 1}`;
    const eq = entry.indexOf('=');
    if (eq >= 0) {
      const given = entry.slice(0, eq);
      if (!TOKEN_NAME.test(given)) {
        throw new ServerError('DG_ERR_SERVER_CONFIG', `DEVICEGATE_API_TOKENS entry ${index + 1}: the name before "=" must be 1-64 letters, digits, ".", "_", "@" or "-"`);
      }
      name = given;
      entry = entry.slice(eq + 1);
    }
    let scope: Scope = 'decide';
    if (entry.toLowerCase().startsWith('admin:')) {
      scope = 'admin';
      entry = entry.slice('admin:'.length);
    } else if (entry.toLowerCase().startsWith('decide:')) {
      entry = entry.slice('decide:'.length);
    }
    const match = HASH.exec(entry);
    if (!match) {
      throw new ServerError('DG_ERR_SERVER_CONFIG', `DEVICEGATE_API_TOKENS entry ${index + 1} is not "[NAME=]sha256:<64 hex>" or "[NAME=]admin:sha256:<64 hex>"`);
    }
    return { sha256: Buffer.from(match[1]!, 'hex'), scope, name };
  });
}

export function hashToken(token: string): Buffer {
  // One-shot hash: no Hash object per request (about a third of createHash's cost).
  return hash('sha256', token, 'buffer');
}

/** The value to put in DEVICEGATE_API_TOKENS for a token (optionally named). */
export function tokenHashEntry(token: string, scope: Scope = 'decide', name?: string): string {
  if (name !== undefined && !TOKEN_NAME.test(name)) throw new ServerError('DG_ERR_SERVER_CONFIG', 'a token name must be 1-64 letters, digits, ".", "_", "@" or "-"');
  return `${name !== undefined ? `${name}=` : ''}${scope === 'admin' ? 'admin:' : ''}sha256:${hashToken(token).toString('hex')}`;
}

export function generateToken(): string {
  return `dg_${randomBytes(32).toString('base64url')}`;
}

/**
 * The scope a presented token grants, or undefined. Hashing first gives equal-length buffers, so
 * timingSafeEqual applies; every configured hash is compared, so timing does not reveal which matched.
 */
export function scopeOfToken(tokens: readonly ApiToken[], presented: string): Scope | undefined {
  return callerOfToken(tokens, presented)?.scope;
}

/** The configured entry a presented token matches (an admin entry wins), or undefined; constant time as above. */
export function callerOfToken(tokens: readonly ApiToken[], presented: string): ApiToken | undefined {
  const digest = hashToken(presented);
  let caller: ApiToken | undefined;
  for (const token of tokens) {
    if (timingSafeEqual(digest, token.sha256) && caller?.scope !== 'admin') caller = token;
  }
  return caller;
}

/**
 * callerOfToken with a memory of the tokens that matched: a caller on keep-alive presents the same
 * token on every request, and hashing it each time cost about 0.7 µs of a cached decision's ~20.
 * Only presented strings that matched a configured hash are kept, so the map holds at most one entry
 * per configured token and a caller cannot grow it; any other string takes the hashing path. A map
 * look-up's time depends on the presented string's hash, not on how much of a valid token it shares.
 */
export class TokenVerifier {
  readonly #tokens: readonly ApiToken[];
  readonly #matched = new Map<string, ApiToken>();

  constructor(tokens: readonly ApiToken[]) {
    this.#tokens = tokens;
  }

  callerOf(presented: string): ApiToken | undefined {
    const known = this.#matched.get(presented);
    if (known !== undefined) return known;
    const caller = callerOfToken(this.#tokens, presented);
    if (caller !== undefined && this.#matched.size < this.#tokens.length) this.#matched.set(presented, caller);
    return caller;
  }

  /** How many presented tokens are remembered (at most the number configured). */
  get remembered(): number {
    return this.#matched.size;
  }
}
