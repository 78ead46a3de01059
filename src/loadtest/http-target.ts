import { readFile } from 'node:fs/promises';
import { Pool } from 'undici';
import { LoadtestError } from './errors.js';
import { errorCode, type LoadTarget, type Outcome } from './target.js';
import type { WorkItem } from './workload.js';

export interface HttpTargetOptions {
  /** http(s)://host[:port] of a devicegate deployment (a path prefix is kept). */
  readonly url: string;
  readonly token?: string;
  /** Keep-alive connections to open at most. */
  readonly connections: number;
  readonly timeoutMs: number;
  readonly caFile?: string;
  readonly tlsInsecure?: boolean;
}

const DECISIONS = ['permit', 'deny', 'mfa_required'] as const;

/** POST /v1/decisions over undici keep-alive connections; the answer's `decision` is the label. */
export class HttpTarget implements LoadTarget {
  readonly kind = 'http' as const;
  readonly labels = DECISIONS;
  readonly #pool: Pool;
  readonly #path: string;
  readonly #headers: Record<string, string>;

  private constructor(pool: Pool, path: string, token: string | undefined) {
    this.#pool = pool;
    this.#path = path;
    this.#headers = { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) };
  }

  static async open(options: HttpTargetOptions): Promise<HttpTarget> {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new LoadtestError('DG_ERR_LOADTEST_TARGET', `--target "${options.url}" is not a URL`);
    }
    let ca: Buffer | undefined;
    if (options.caFile !== undefined) {
      try {
        ca = await readFile(options.caFile);
      } catch (error) {
        throw new LoadtestError('DG_ERR_LOADTEST_TARGET', `--ca-file ${options.caFile}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
    const pool = new Pool(url.origin, {
      connections: options.connections,
      pipelining: 1,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 30_000,
      ...(url.protocol === 'https:' ? { connect: { rejectUnauthorized: options.tlsInsecure !== true, ...(ca ? { ca } : {}) } } : {}),
    });
    const prefix = url.pathname.replace(/\/+$/, '');
    return new HttpTarget(pool, `${prefix}/v1/decisions`, options.token);
  }

  /** The relying parties the deployment serves (GET /v1/relying-parties), for when no --rp is given. */
  async relyingParties(): Promise<string[]> {
    let status: number;
    let body: unknown;
    try {
      const res = await this.#pool.request({ path: this.#path.replace(/\/v1\/decisions$/, '/v1/relying-parties'), method: 'GET', headers: this.#headers });
      status = res.statusCode;
      body = await res.body.json();
    } catch (error) {
      throw new LoadtestError('DG_ERR_LOADTEST_TARGET', `cannot list the relying parties (${errorCode(error)}); give --rp`);
    }
    const list = (body as { relyingParties?: { id?: unknown; enabled?: unknown }[] } | null)?.relyingParties;
    if (status !== 200 || !Array.isArray(list)) throw new LoadtestError('DG_ERR_LOADTEST_TARGET', `GET /v1/relying-parties answered ${status}; give --rp (and --token)`);
    const ids = list.filter((rp) => rp.enabled !== false && typeof rp.id === 'string').map((rp) => rp.id as string);
    if (ids.length === 0) throw new LoadtestError('DG_ERR_LOADTEST_TARGET', 'the target serves no enabled relying party; give --rp');
    return ids;
  }

  async send(item: WorkItem): Promise<Outcome> {
    const body = JSON.stringify({ relyingParty: item.relyingParty, device: item.presentation });
    try {
      const res = await this.#pool.request({ path: this.#path, method: 'POST', headers: this.#headers, body });
      const text = await res.body.text();
      if (res.statusCode === 200) {
        const decision = /"decision":"([a-z_]+)"/.exec(text)?.[1];
        return decision !== undefined ? { ok: true, label: decision } : { ok: false, error: 'http_200_no_decision' };
      }
      const code = /"code":"([A-Za-z0-9_]+)"/.exec(text)?.[1];
      return { ok: false, error: code !== undefined ? `http_${res.statusCode}_${code}` : `http_${res.statusCode}` };
    } catch (error) {
      return { ok: false, error: errorCode(error) };
    }
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}
