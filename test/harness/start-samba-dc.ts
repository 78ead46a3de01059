import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adaptForSamba, readFixture } from './adapt-fixture.js';
import { findBinary, freeLoopbackAddress, run, sleep, startDaemon } from './processes.js';
import { waitForRootDse } from './start-slapd.js';
import { writeLdif } from './write-ldif.js';

const SERVERS = new URL('../servers/samba/', import.meta.url).pathname;
const HARNESS_VERSION = '1';
/** Samba's ports are fixed: each instance listens on a loopback address of its own (127.0.0.N). */
const SAMBA_PORTS = [389, 636, 3268, 3269] as const;
export const SAMBA_ADMIN_PASSWORD = 'Admin-Passw0rd!';
let instances = 0;

export interface SambaServer {
  readonly url: string;
  readonly ldapsUrl: string;
  readonly bindDn: string;
  readonly password: string;
  readonly pid: number;
  readonly dir: string;
  /** Samba's self-signed CA (PEM path) for ldaps:// / StartTLS tests. */
  readonly caFile: string;
  stop(): Promise<void>;
  stopHard(): Promise<void>;
}

/** Runs `fn` holding a lock directory (mkdir is atomic); a lock older than 5 minutes is a dead holder's. */
async function withLock(lock: string, fn: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const since = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (since > 300_000) await rm(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      else await sleep(250);
    }
  }
  try {
    await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

function smbConf(template: string, dir: string): string {
  return template.replaceAll('@DIR@', dir).replaceAll('@SERVICES@', 'ldap');
}

/** Provision once into `dir` (about 5-8 s): domain, WS2016 device attributes, fixture data, service account. */
async function provision(dir: string, ldifPath: string, account: { sAMAccountName: string; password: string } | undefined): Promise<void> {
  const samba = { tool: findBinary('samba-tool', 'samba'), ldbadd: findBinary('ldbadd', 'ldb-tools'), ldbmodify: findBinary('ldbmodify', 'ldb-tools') };
  const conf = join(dir, 'etc', 'smb.conf');
  for (const sub of ['etc', 'private', 'state', 'cache', 'bind-dns', 'run', 'log']) await mkdir(join(dir, sub), { recursive: true });
  await writeFile(conf, smbConf(await readFile(join(SERVERS, 'smb.conf.template'), 'utf8'), dir));
  await run(samba.tool, [
    'domain', 'provision', '-s', conf, `--targetdir=${dir}`, '--realm=CONTOSO.COM', '--domain=CONTOSO', '--host-name=dc1',
    '--server-role=dc', '--dns-backend=SAMBA_INTERNAL', '--use-rfc2307', '--base-schema=2012_R2', `--adminpass=${SAMBA_ADMIN_PASSWORD}`, '--host-ip=127.0.0.1',
  ], { timeoutMs: 180_000 });
  const sam = join(dir, 'private', 'sam.ldb');
  for (const f of ['schema-ws2016-device-attrs.ldif', 'schema-ws2016-device-class.ldif']) {
    await run(samba.ldbmodify, ['-H', sam, `--configfile=${conf}`, '--option=dsdb:schema update allowed=true', join(SERVERS, f)]);
  }
  const data = adaptForSamba(readFixture(await readFile(ldifPath, 'utf8'), ldifPath), 'DC=contoso,DC=com');
  const file = join(dir, 'fixture-samba.ldif');
  await writeFile(file, writeLdif(data.add));
  const added = await run(samba.ldbadd, ['-H', sam, `--configfile=${conf}`, file]);
  // ldbadd exits 0 even when it stops at a failing entry: check the count.
  if (!added.stdout.includes(`Added ${data.add.length} records`)) throw new Error(`ldbadd: ${(added.stdout + added.stderr).trim().slice(-300)}`);
  const accounts = account ? [{ ...account }] : data.accounts;
  for (const a of accounts) {
    await run(samba.tool, ['user', 'create', a.sAMAccountName, a.password, '-H', sam, '-s', conf]);
  }
  await writeFile(join(dir, 'provisioned'), new Date().toISOString());
}

/**
 * A Samba AD DC (ldap only) on 127.0.0.N:389 (a free loopback address, so several can run at once) with the fixture's devices, DRS object, users and
 * service account. The provisioned folder is cached under os.tmpdir() by a hash of its inputs;
 * each start copies it, so runs never share state.
 */
export async function startSambaDc(ldifPath: string, serviceAccount: { dn: string; password: string }): Promise<SambaServer> {
  const sambaBin = findBinary('samba', 'samba-ad-dc');
  findBinary('samba-tool', 'samba');
  findBinary('ldbadd', 'ldb-tools');
  const hash = createHash('sha256');
  hash.update(HARNESS_VERSION);
  hash.update(await readFile(ldifPath));
  for (const f of ['smb.conf.template', 'schema-ws2016-device-attrs.ldif', 'schema-ws2016-device-class.ldif']) hash.update(await readFile(join(SERVERS, f)));
  hash.update(await readFile(new URL('./adapt-fixture.ts', import.meta.url)));
  hash.update(serviceAccount.dn + serviceAccount.password);
  const template = join(tmpdir(), `dg-samba-template-${hash.digest('hex').slice(0, 16)}`);
  const sAMAccountName = /^CN=([^,]+)/i.exec(serviceAccount.dn)?.[1] ?? 'svc-devicelookup';
  if (!(await exists(join(template, 'provisioned')))) {
    // Test files run in parallel and may need the same template: one provisions, the others wait.
    await withLock(`${template}.lock`, async () => {
      if (await exists(join(template, 'provisioned'))) return;
      await rm(template, { recursive: true, force: true });
      try {
        await provision(template, ldifPath, { sAMAccountName, password: serviceAccount.password });
      } catch (error) {
        await rm(template, { recursive: true, force: true });
        throw new Error(`Samba provisioning failed: ${(error as Error).message}`);
      }
    });
  }
  // One folder per instance: a test may run two DCs at once.
  const dir = `${template}-run-${process.pid}-${++instances}`;
  await rm(dir, { recursive: true, force: true });
  await cp(template, dir, { recursive: true });
  const conf = join(dir, 'etc', 'smb.conf');
  const address = await freeLoopbackAddress(SAMBA_PORTS);
  // Samba binds only to addresses an interface carries; lo carries 127.0.0.1/8 alone until told.
  await run(findBinary('ip', 'iproute2'), ['addr', 'replace', `${address}/32`, 'dev', 'lo']);
  const url = `ldap://${address}:389`;
  await writeFile(conf, (await readFile(conf, 'utf8')).replaceAll(template, dir).replace(/^\s*interfaces = lo$/m, `\tinterfaces = ${address}`));
  await rm(join(dir, 'run'), { recursive: true, force: true });
  await mkdir(join(dir, 'run'), { recursive: true });
  const daemon = startDaemon(sambaBin, ['-i', '-M', 'single', '-s', conf]);
  const cleanup = async () => {
    await daemon.stop(5000);
    await rm(dir, { recursive: true, force: true });
    await run(findBinary('ip', 'iproute2'), ['addr', 'del', `${address}/32`, 'dev', 'lo']).catch(() => undefined);
  };
  try {
    await waitForRootDse(url, 30_000, () => daemon.child.exitCode === null, 'defaultNamingContext');
  } catch (error) {
    await cleanup();
    throw new Error(`samba did not start: ${(error as Error).message}; output: ${daemon.output().slice(-600)}`);
  }
  let stopped = false;
  return {
    url,
    ldapsUrl: `ldaps://${address}:636`,
    bindDn: serviceAccount.dn,
    password: serviceAccount.password,
    pid: daemon.pid,
    dir,
    caFile: join(dir, 'private', 'tls', 'ca.pem'),
    async stop() {
      if (stopped) return;
      stopped = true;
      await cleanup();
    },
    stopHard: () => daemon.stopHard(),
  };
}
