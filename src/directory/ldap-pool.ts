import { Client } from 'ldapts';
import type { ConnectionOptions } from 'node:tls';
import { DirectoryError } from './errors.js';
import { isRetriable, mapLdapError } from './map-ldap-error.js';

export interface LdapPoolOptions {
  readonly urls: readonly string[];
  readonly bindDn?: string;
  readonly password?: string;
  /** TLS settings for ldaps:// URLs and StartTLS. */
  readonly tls: { readonly ca?: readonly Buffer[]; readonly rejectUnauthorized: boolean };
  readonly startTls: boolean;
  readonly timeoutMs: number;
  /** Connections per DC. */
  readonly poolSize: number;
  /** Idle connections are probed this often (AD drops idle connections after 900 s). */
  readonly keepAliveMs: number;
  /** How long a DC that failed is tried only after the healthy ones. */
  readonly retryDownMs: number;
}

interface Connection {
  client?: Client;
  ready?: Promise<Client>;
  inFlight: number;
  lastUsed: number;
}

interface DcServer {
  readonly url: string;
  readonly secure: boolean;
  readonly connections: Connection[];
  ok: boolean;
  downUntil: number;
  lastError?: string;
}

export interface PoolServerState {
  readonly url: string;
  readonly ok: boolean;
  readonly connections: number;
  readonly inFlight: number;
  readonly lastError?: string;
}

function withTimeout<T>(promise: Promise<T>, ms: number, url: string, onTimeout: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      reject(new DirectoryError('DG_ERR_DIRECTORY_TIMEOUT', `${url}: no answer within the timeout`));
    }, ms > 0 ? ms : 0);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * N ldapts clients per DC (one Client = one socket, requests multiplexed on it), least-in-flight
 * selection, lazy (re)connect + bind, failover across DCs in the given order, an overall deadline
 * per operation, and an unref'd keep-alive probe for idle connections.
 */
export class LdapPool {
  readonly #options: LdapPoolOptions;
  readonly #servers: DcServer[];
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor(options: LdapPoolOptions) {
    this.#options = options;
    this.#servers = options.urls.map((url) => ({
      url,
      secure: url.toLowerCase().startsWith('ldaps:'),
      connections: Array.from({ length: options.poolSize }, () => ({ inFlight: 0, lastUsed: 0 })),
      ok: true,
      downUntil: 0,
    }));
    this.#timer = setInterval(() => void this.#keepAlive(), options.keepAliveMs);
    this.#timer.unref();
  }

  get urls(): readonly string[] {
    return this.#servers.map((s) => s.url);
  }

  state(): PoolServerState[] {
    return this.#servers.map((s) => ({
      url: s.url,
      ok: s.ok,
      connections: s.connections.filter((c) => c.client?.isConnected).length,
      inFlight: s.connections.reduce((n, c) => n + c.inFlight, 0),
      ...(s.lastError !== undefined ? { lastError: s.lastError } : {}),
    }));
  }

  #tlsOptions(url: string): ConnectionOptions {
    const host = new URL(url).hostname;
    return {
      ...(this.#options.tls.ca ? { ca: [...this.#options.tls.ca] } : {}),
      rejectUnauthorized: this.#options.tls.rejectUnauthorized,
      ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }),
      minVersion: 'TLSv1.2',
    };
  }

  #discard(conn: Connection): void {
    const client = conn.client;
    conn.client = undefined;
    if (client) void client.unbind().catch(() => {});
  }

  async #connect(server: DcServer, conn: Connection): Promise<Client> {
    this.#discard(conn);
    const { timeoutMs, bindDn, password, startTls } = this.#options;
    const client = new Client({
      url: server.url,
      timeout: timeoutMs,
      connectTimeout: timeoutMs,
      strictDN: false,
      ...(server.secure ? { tlsOptions: this.#tlsOptions(server.url) } : {}),
    });
    let phase: 'connect' | 'bind' = 'connect';
    try {
      if (startTls && !server.secure) await client.startTLS(this.#tlsOptions(server.url));
      phase = 'bind';
      if (bindDn !== undefined) await client.bind(bindDn, password ?? '');
    } catch (error) {
      void client.unbind().catch(() => {});
      throw mapLdapError(error, server.url, phase, bindDn);
    }
    conn.client = client;
    return client;
  }

  #ensure(server: DcServer, conn: Connection): Promise<Client> {
    const client = conn.client;
    if (client && client.isConnected && (this.#options.bindDn === undefined || client.isBound)) return Promise.resolve(client);
    if (!conn.ready) {
      conn.ready = this.#connect(server, conn).finally(() => {
        conn.ready = undefined;
      });
    }
    return conn.ready;
  }

  #order(): DcServer[] {
    const now = Date.now();
    const servers = this.#servers;
    if (servers.length === 1) return servers;
    return [...servers.filter((s) => s.downUntil <= now), ...servers.filter((s) => s.downUntil > now)];
  }

  /** Run one operation on the least-busy connection of the first DC that answers, within timeoutMs overall. */
  async run<T>(operation: (client: Client, url: string) => Promise<T>): Promise<T> {
    if (this.#closed) throw new DirectoryError('DG_ERR_DIRECTORY_CLOSED', 'the directory is closed');
    const deadline = Date.now() + this.#options.timeoutMs;
    let lastError: DirectoryError | undefined;
    for (const server of this.#order()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      let conn = server.connections[0]!;
      for (const c of server.connections) if (c.inFlight < conn.inFlight) conn = c;
      conn.inFlight++;
      try {
        const client = await withTimeout(this.#ensure(server, conn), remaining, server.url, () => this.#discard(conn));
        const result = await withTimeout(operation(client, server.url), deadline - Date.now(), server.url, () => this.#discard(conn));
        if (!server.ok) {
          server.ok = true;
          delete server.lastError;
        }
        return result;
      } catch (error) {
        const mapped = mapLdapError(error, server.url, 'search', this.#options.bindDn);
        if (!isRetriable(mapped)) throw mapped;
        this.#discard(conn);
        server.ok = false;
        server.lastError = mapped.message;
        server.downUntil = Date.now() + this.#options.retryDownMs;
        lastError = mapped;
      } finally {
        conn.inFlight--;
        conn.lastUsed = Date.now();
      }
    }
    if (lastError && this.#servers.length > 1) {
      throw new DirectoryError(lastError.code, `no domain controller answered (${this.#servers.length} tried); last: ${lastError.message}`);
    }
    throw lastError ?? new DirectoryError('DG_ERR_DIRECTORY_TIMEOUT', `no domain controller answered within ${this.#options.timeoutMs} ms`);
  }

  /** Probe every DC (RootDSE read) and update its health; used by health() and the keep-alive. */
  async probe(onlyIdle = false): Promise<void> {
    const now = Date.now();
    await Promise.all(this.#servers.map(async (server) => {
      const targets = onlyIdle
        ? server.connections.filter((c) => c.client?.isConnected && c.inFlight === 0 && now - c.lastUsed >= this.#options.keepAliveMs / 2)
        : [server.connections[0]!];
      for (const conn of targets) {
        conn.inFlight++;
        try {
          const client = await withTimeout(this.#ensure(server, conn), this.#options.timeoutMs, server.url, () => this.#discard(conn));
          await withTimeout(client.search('', { scope: 'base', attributes: ['1.1'], timeLimit: Math.max(1, Math.ceil(this.#options.timeoutMs / 1000)) }), this.#options.timeoutMs, server.url, () => this.#discard(conn));
          server.ok = true;
          delete server.lastError;
        } catch (error) {
          const mapped = mapLdapError(error, server.url, 'search', this.#options.bindDn);
          this.#discard(conn);
          server.ok = false;
          server.lastError = mapped.message;
        } finally {
          conn.inFlight--;
          conn.lastUsed = Date.now();
        }
      }
    }));
  }

  async #keepAlive(): Promise<void> {
    if (!this.#closed) await this.probe(true).catch(() => {});
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await Promise.all(this.#servers.flatMap((s) => s.connections.map(async (c) => {
      const client = c.client;
      c.client = undefined;
      if (client) await client.unbind().catch(() => {});
    })));
  }
}
