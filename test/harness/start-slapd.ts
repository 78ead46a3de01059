import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { adaptForSlapd, readFixture } from './adapt-fixture.js';
import { findBinary, freePort, run, sleep, startDaemon } from './processes.js';
import { writeLdif, type LdifRecord } from './write-ldif.js';

const SERVERS = new URL('../servers/openldap/', import.meta.url).pathname;
export const SLAPD_SUFFIX = 'DC=contoso,DC=com';
export const SLAPD_ROOT_DN = 'CN=admin,DC=contoso,DC=com';
export const SLAPD_ROOT_PASSWORD = 'admin-Passw0rd';

export interface SlapdServer {
  readonly url: string;
  /** The fixture's service account (falls back to the rootdn when the fixture has none). */
  readonly bindDn: string;
  readonly password: string;
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  /** SIGTERM by PID, wait, remove the scratch folder. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL by PID (a DC that dies), keeps the scratch folder until stop(). */
  stopHard(): Promise<void>;
  /** After stopHard(): start slapd again on the same URL and data (a DC that comes back); `pid` is then the new one. */
  restart(): Promise<void>;
}

export interface SlapdOptions {
  /** Extra records appended after the fixture (e.g. generated devices for the bench). */
  readonly extra?: readonly LdifRecord[];
  readonly serviceAccount?: { readonly dn: string; readonly password: string };
  /** Add slapd's monitor database (cn=Monitor, readable by the rootdn): server-side operation counts. */
  readonly monitor?: boolean;
}

/** Wait until the RootDSE answers (anonymous read, as the ACL allows). */
export async function waitForRootDse(url: string, timeoutMs: number, alive: () => boolean, attribute = 'namingContexts'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`server exited before answering${last ? ` (${last})` : ''}`);
    const client = new Client({ url, timeout: 1000, connectTimeout: 1000 });
    try {
      const { searchEntries } = await client.search('', { scope: 'base', attributes: [attribute] });
      if (searchEntries[0]?.[attribute] !== undefined) return;
      last = `no ${attribute} yet`;
    } catch (error) {
      last = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    } finally {
      await client.unbind().catch(() => {});
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${url} RootDSE (${last})`);
}

/** A private slapd on a free loopback port, loaded with the (adapted) fixture LDIF. */
export async function startSlapd(ldifPath: string, options: SlapdOptions = {}): Promise<SlapdServer> {
  const slapd = findBinary('slapd', 'slapd');
  const slapadd = findBinary('slapadd', 'slapd');
  const slaptest = findBinary('slaptest', 'slapd');
  const dir = await mkdtemp(join(tmpdir(), 'dg-slapd-'));
  let cleanup = async () => {
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await mkdir(join(dir, 'data'));
    await mkdir(join(dir, 'accesslog'));
    const schema = join(dir, 'msds-device.schema');
    await writeFile(schema, await readFile(join(SERVERS, 'msds-device.schema')));
    const template = await readFile(join(SERVERS, 'slapd.conf.template'), 'utf8');
    const conf = join(dir, 'slapd.conf');
    const monitor = options.monitor ? `\ndatabase monitor\naccess to dn.subtree="cn=Monitor"\n        by dn.exact="${SLAPD_ROOT_DN}" read\n        by * none\n` : '';
    await writeFile(conf, template.replaceAll('@DIR@', dir).replaceAll('@SCHEMA@', schema) + monitor);
    await run(slaptest, ['-Q', '-u', '-f', conf]);
    const records = adaptForSlapd([...readFixture(await readFile(ldifPath, 'utf8'), ldifPath), ...(options.extra ?? [])], SLAPD_SUFFIX);
    const data = join(dir, 'data.ldif');
    await writeFile(data, writeLdif(records));
    // Bulk loads (the benches' generated forests) take longer on a busy machine: allow for their size.
    await run(slapadd, ['-q', '-f', conf, '-l', data], { timeoutMs: 120_000 + records.length * 5 });
    const port = await freePort();
    const url = `ldap://127.0.0.1:${port}`;
    let daemon = startDaemon(slapd, ['-d', '0', '-h', `${url}/`, '-f', conf]);
    cleanup = async () => {
      await daemon.stop();
      await rm(dir, { recursive: true, force: true });
    };
    try {
      await waitForRootDse(url, 10_000, () => daemon.child.exitCode === null);
    } catch (error) {
      throw new Error(`slapd did not start: ${(error as Error).message}; output: ${daemon.output().slice(-500)}`);
    }
    const account = options.serviceAccount ?? { dn: SLAPD_ROOT_DN, password: SLAPD_ROOT_PASSWORD };
    let stopped = false;
    return {
      url,
      bindDn: account.dn,
      password: account.password,
      port,
      get pid() {
        return daemon.pid;
      },
      dir,
      async stop() {
        if (stopped) return;
        stopped = true;
        await cleanup();
      },
      stopHard: () => daemon.stopHard(),
      async restart() {
        await daemon.stopHard();
        daemon = startDaemon(slapd, ['-d', '0', '-h', `${url}/`, '-f', conf]);
        await waitForRootDse(url, 10_000, () => daemon.child.exitCode === null);
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Search operations slapd has completed so far (needs startSlapd(..., { monitor: true })). */
export async function slapdSearchCount(server: Pick<SlapdServer, 'url'>): Promise<number> {
  const client = new Client({ url: server.url, timeout: 5000, connectTimeout: 5000 });
  try {
    await client.bind(SLAPD_ROOT_DN, SLAPD_ROOT_PASSWORD);
    const { searchEntries } = await client.search('cn=Search,cn=Operations,cn=Monitor', { scope: 'base', attributes: ['monitorOpCompleted'] });
    const value = searchEntries[0]?.monitorOpCompleted;
    const n = Number(Array.isArray(value) ? value[0] : value);
    if (!Number.isFinite(n)) throw new Error('slapd monitor: no monitorOpCompleted (started without { monitor: true }?)');
    return n;
  } finally {
    await client.unbind().catch(() => {});
  }
}
