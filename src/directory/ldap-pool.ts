import { Client } from 'ldapts';
import type { ConnectionOptions } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { SILENT_LOGGER, type DirectoryLogger } from './directory-logger.js';
import { DirectoryError, type DirectoryErrorCode } from './errors.js';
import { isRetriable, mapLdapError } from './map-ldap-error.js';

export interface LdapPoolOptions {
  readonly urls: readonly string[];
  readonly bindDn?: string;
  readonly password?: string;
  /** TLS settings for ldaps:// URLs and StartTLS. */
  readonly tls: { readonly ca?: readonly Buffer[]; readonly rejectUnauthorized: boolean };
  readonly startTls: boolean;
  /** Budget of one operation, all DCs included. */
  readonly timeoutMs: number;
  /** Budget of one attempt on one DC (connect + bind + operation); default min(2000, timeoutMs). */
  readonly attemptTimeoutMs?: number;
  /** Connections per DC. */
  readonly poolSize: number;
  /** Idle connections are probed this often (AD drops idle connections after 900 s). */
  readonly keepAliveMs: number;
  /** A DC out of rotation is probed in the background this often (default 1000 ms; bind failures back off to 60 s). */
  readonly probeIntervalMs?: number;
  readonly logger?: DirectoryLogger;
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
  /** Breaker: open = out of rotation, probed in the background until it answers. */
  open: boolean;
  lastError?: string;
  lastErrorCode?: DirectoryErrorCode;
  errors: number;
  latencyMs?: number;
  lastOkAt: number;
  probeTimer?: NodeJS.Timeout;
  probeDelayMs: number;
  /** Settles when the first probe after going out of rotation is done (requests may wait for it). */
  firstProbe?: Promise<void>;
  firstProbeDone?: () => void;
}

export interface PoolServerState {
  readonly url: string;
  readonly ok: boolean;
  readonly breaker: 'closed' | 'open';
  readonly connections: number;
  readonly inFlight: number;
  readonly errors: number;
  readonly latencyMs?: number;
  readonly lastError?: string;
}

function withTimeout<T>(promise: Promise<T>, ms: number, url: string, onTimeout: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      reject(new DirectoryError('DG_ERR_DIRECTORY_TIMEOUT', `${url}: no answer within ${Math.round(ms)} ms`));
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

const MAX_BIND_PROBE_MS = 60_000;
/** A DC is not tried with less of the request's budget left than this. */
const MIN_ATTEMPT_MS = 20;
/** The first probe after a DC goes out of rotation. */
const FIRST_PROBE_MS = 100;
/** A DC whose last success is older than this is probed by health() (others answer from state). */
const HEALTH_FRESH_MS = 5_000;

/**
 * N ldapts clients per DC (one Client = one socket, requests multiplexed on it), least-in-flight
 * selection, lazy (re)connect + bind, and failover across DCs in the given order. Each attempt on
 * one DC has its own deadline (attemptTimeoutMs) inside the operation's budget (timeoutMs), so a
 * hung DC costs one short attempt. A DC that fails (socket, timeout, TLS, bind) is taken out of
 * rotation (breaker open) and probed in the background, never by live requests, until it answers.
 * While every DC is out, requests fail at once. Transitions are logged with the DC's URL.
 */
export class LdapPool {
  readonly #options: LdapPoolOptions;
  readonly #servers: DcServer[];
  readonly #timer: NodeJS.Timeout;
  readonly #attemptMs: number;
  readonly #probeMs: number;
  readonly #log: DirectoryLogger;
  #closed = false;
  #probing?: Promise<void>;
  /** Operations answered by a DC after an earlier DC failed them. */
  failovers = 0;

  constructor(options: LdapPoolOptions) {
    this.#options = options;
    this.#attemptMs = Math.min(options.attemptTimeoutMs ?? 2000, options.timeoutMs);
    this.#probeMs = options.probeIntervalMs ?? 1000;
    this.#log = options.logger ?? SILENT_LOGGER;
    this.#servers = options.urls.map((url) => ({
      url,
      secure: url.toLowerCase().startsWith('ldaps:'),
      connections: Array.from({ length: options.poolSize }, () => ({ inFlight: 0, lastUsed: 0 })),
      open: false,
      errors: 0,
      lastOkAt: 0,
      probeDelayMs: this.#probeMs,
    }));
    this.#timer = setInterval(() => void this.#keepAlive(), options.keepAliveMs);
    this.#timer.unref();
  }

  get urls(): readonly string[] {
    return this.#servers.map((s) => s.url);
  }

  get attemptTimeoutMs(): number {
    return this.#attemptMs;
  }

  state(): PoolServerState[] {
    return this.#servers.map((s) => ({
      url: s.url,
      ok: !s.open,
      breaker: s.open ? 'open' : 'closed',
      connections: s.connections.filter((c) => c.client?.isConnected).length,
      inFlight: s.connections.reduce((n, c) => n + c.inFlight, 0),
      errors: s.errors,
      ...(s.latencyMs !== undefined ? { latencyMs: Math.round(s.latencyMs * 10) / 10 } : {}),
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
    const { bindDn, password, startTls } = this.#options;
    const client = new Client({
      url: server.url,
      timeout: this.#attemptMs,
      connectTimeout: this.#attemptMs,
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

  #succeeded(server: DcServer, ms: number): void {
    server.latencyMs = server.latencyMs === undefined ? ms : server.latencyMs * 0.8 + ms * 0.2;
    server.lastOkAt = Date.now();
  }

  /** A failed attempt: take the DC out of rotation (logged once per outage) and probe it in the background. */
  #failed(server: DcServer, error: DirectoryError): void {
    server.errors++;
    server.lastError = error.message;
    server.lastErrorCode = error.code;
    if (server.open || this.#closed) return;
    server.open = true;
    const others = this.#servers.filter((s) => !s.open).map((s) => s.url);
    const fields = { dc: server.url, code: error.code, reason: error.message, inRotation: others };
    if (error.code === 'DG_ERR_DIRECTORY_BIND') {
      this.#log.error(fields, 'LDAP bind refused: check the service account (--bind-dn / DEVICEGATE_LDAP_PASSWORD); domain controller out of rotation');
    } else if (others.length > 0) {
      this.#log.warn(fields, `domain controller down, out of rotation; failing over to ${others[0]!}`);
    } else {
      this.#log.error(fields, 'domain controller down, out of rotation; no domain controller left: directory look-ups fail until one answers');
    }
    // Bind failures back off (a wrong password must not lock the account); others are probed soon
    // (a DC that was only slow for a moment is back quickly), then steadily.
    server.probeDelayMs = error.code === 'DG_ERR_DIRECTORY_BIND' ? Math.min(MAX_BIND_PROBE_MS, this.#probeMs * 5) : this.#probeMs;
    this.#settleFirstProbe(server);
    if (error.code !== 'DG_ERR_DIRECTORY_BIND') server.firstProbe = new Promise<void>((resolve) => (server.firstProbeDone = resolve));
    this.#scheduleProbe(server, error.code === 'DG_ERR_DIRECTORY_BIND' ? server.probeDelayMs : Math.min(FIRST_PROBE_MS, this.#probeMs));
  }

  #recovered(server: DcServer): void {
    if (!server.open) return;
    server.open = false;
    const lastError = server.lastError;
    delete server.lastError;
    delete server.lastErrorCode;
    server.probeDelayMs = this.#probeMs;
    this.#settleFirstProbe(server);
    this.#log.info({ dc: server.url, was: lastError }, 'domain controller answering again, back in rotation');
  }

  #settleFirstProbe(server: DcServer): void {
    const done = server.firstProbeDone;
    delete server.firstProbe;
    delete server.firstProbeDone;
    done?.();
  }

  #scheduleProbe(server: DcServer, delayMs = server.probeDelayMs): void {
    if (this.#closed || server.probeTimer !== undefined) return;
    server.probeTimer = setTimeout(() => {
      server.probeTimer = undefined;
      void this.#probeOne(server).then(() => {
        this.#settleFirstProbe(server);
        if (!server.open) return;
        if (server.lastErrorCode === 'DG_ERR_DIRECTORY_BIND') server.probeDelayMs = Math.min(MAX_BIND_PROBE_MS, server.probeDelayMs * 2);
        this.#scheduleProbe(server);
      });
    }, delayMs);
    server.probeTimer.unref();
  }

  /** One RootDSE read on the DC's first connection (reconnecting and binding when needed). */
  async #probeOne(server: DcServer): Promise<void> {
    if (this.#closed) return;
    const conn = server.connections[0]!;
    conn.inFlight++;
    const started = performance.now();
    try {
      const client = await withTimeout(this.#ensure(server, conn), this.#attemptMs, server.url, () => this.#discard(conn));
      const left = this.#attemptMs - (performance.now() - started);
      await withTimeout(client.search('', { scope: 'base', attributes: ['1.1'] }), left, server.url, () => this.#discard(conn));
      this.#succeeded(server, performance.now() - started);
      this.#recovered(server);
    } catch (error) {
      this.#discard(conn);
      this.#failed(server, mapLdapError(error, server.url, 'search', this.#options.bindDn));
    } finally {
      conn.inFlight--;
      conn.lastUsed = Date.now();
    }
  }

  /** Run one operation on the least-busy connection of the first DC in rotation that answers. */
  async run<T>(operation: (client: Client, url: string) => Promise<T>): Promise<T> {
    if (this.#closed) throw new DirectoryError('DG_ERR_DIRECTORY_CLOSED', 'the directory is closed');
    const deadline = performance.now() + this.#options.timeoutMs;
    let lastError: DirectoryError | undefined;
    for (let round = 0; round < 2; round++) {
      for (const server of this.#servers) {
        if (server.open) continue;
        const remaining = deadline - performance.now();
        if (remaining < MIN_ATTEMPT_MS) break;
        const budget = Math.min(this.#attemptMs, remaining);
        let conn = server.connections[0]!;
        for (const c of server.connections) if (c.inFlight < conn.inFlight) conn = c;
        conn.inFlight++;
        const started = performance.now();
        try {
          const client = await withTimeout(this.#ensure(server, conn), budget, server.url, () => this.#discard(conn));
          const result = await withTimeout(operation(client, server.url), budget - (performance.now() - started), server.url, () => this.#discard(conn));
          this.#succeeded(server, performance.now() - started);
          if (lastError !== undefined) this.failovers++;
          return result;
        } catch (error) {
          const mapped = mapLdapError(error, server.url, 'search', this.#options.bindDn);
          if (!isRetriable(mapped) && mapped.code !== 'DG_ERR_DIRECTORY_BIND') throw mapped;
          this.#discard(conn);
          // A timeout within a short remainder of the request's budget (well under a full attempt) is not the DC's fault.
          if (mapped.code !== 'DG_ERR_DIRECTORY_TIMEOUT' || budget >= this.#attemptMs * 0.9) this.#failed(server, mapped);
          else server.errors++;
          lastError = mapped;
        } finally {
          conn.inFlight--;
          conn.lastUsed = Date.now();
        }
      }
      // No DC left in rotation. One that only just went out is probed ~100 ms later: wait for that first
      // probe (within the budget), so a moment's slowness of the last healthy DC is not a deny. A DC
      // that failed its first probe is down: requests fail at once until a background probe answers.
      if (round > 0 || this.#servers.some((s) => !s.open)) break;
      const pending = this.#servers.flatMap((s) => (s.firstProbe ? [s.firstProbe] : []));
      const remaining = deadline - performance.now();
      if (pending.length === 0 || remaining < MIN_ATTEMPT_MS) break;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.race(pending), new Promise<void>((r) => (timer = setTimeout(r, remaining)))]);
      clearTimeout(timer);
      if (!this.#servers.some((s) => !s.open)) break;
    }
    const n = this.#servers.length;
    if (lastError === undefined) {
      const out = this.#servers.find((s) => s.open);
      if (out) {
        const what = n > 1 ? `no domain controller in rotation (${n} down, probed in the background)` : `${out.url} is out of rotation (probed in the background)`;
        throw new DirectoryError(out.lastErrorCode ?? 'DG_ERR_DIRECTORY_UNAVAILABLE', `${what}; last: ${out.lastError ?? 'failed'}`);
      }
      throw new DirectoryError('DG_ERR_DIRECTORY_TIMEOUT', `no domain controller answered within ${this.#options.timeoutMs} ms`);
    }
    if (n > 1) throw new DirectoryError(lastError.code, `no domain controller answered (${n} configured); last: ${lastError.message}`);
    throw lastError;
  }

  /**
   * Refresh health: DCs in rotation that have not answered in the last few seconds get one RootDSE
   * read (single-flight); DCs out of rotation are already probed in the background.
   */
  probe(): Promise<void> {
    this.#probing ??= Promise.all(
      this.#servers.filter((s) => !s.open && Date.now() - s.lastOkAt > HEALTH_FRESH_MS).map((s) => this.#probeOne(s)),
    ).then(() => undefined).finally(() => {
      this.#probing = undefined;
    });
    return this.#probing;
  }

  async #keepAlive(): Promise<void> {
    if (this.#closed) return;
    const now = Date.now();
    await Promise.all(this.#servers.filter((s) => !s.open).map(async (server) => {
      for (const conn of server.connections) {
        if (!conn.client?.isConnected || conn.inFlight > 0 || now - conn.lastUsed < this.#options.keepAliveMs / 2) continue;
        conn.inFlight++;
        try {
          await withTimeout(conn.client.search('', { scope: 'base', attributes: ['1.1'] }), this.#attemptMs, server.url, () => this.#discard(conn));
        } catch {
          this.#discard(conn);
        } finally {
          conn.inFlight--;
          conn.lastUsed = Date.now();
        }
      }
    }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const s of this.#servers) {
      if (s.probeTimer) clearTimeout(s.probeTimer);
      this.#settleFirstProbe(s);
    }
    await Promise.all(this.#servers.flatMap((s) => s.connections.map(async (c) => {
      const client = c.client;
      c.client = undefined;
      if (client) await client.unbind().catch(() => {});
    })));
  }
}
