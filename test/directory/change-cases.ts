// Change tracking seen by the decision, shared by the slapd and Samba suites: a device disabled,
// re-enabled, made non-compliant and deleted in the directory changes its (cached) decision within
// the bound, with no admin call.
import type { Test } from 'tap';
import { Client } from 'ldapts';
import { readFileSync } from 'node:fs';
import { openDirectory, type DeviceDirectory } from '../../src/directory/index.js';
import { createDecisionEngine, type DecisionEngineWithInternals } from '../../src/policy/index.js';
import type { LiveServer } from './ldap-failures.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const PAYROLL = 'https://payroll.contoso.com/';

/** A hybrid-joined, managed, compliant device that Payroll permits (fixtures/devices.json). */
export function permittedDevice(displayName = 'CONTOSO-LT-0042'): { thumbprint: string; deviceId: string } {
  const manifest = JSON.parse(readFileSync(`${ROOT}fixtures/devices.json`, 'utf8')) as { devices: { thumbprint: string; deviceId: string; displayName: string }[] };
  const d = manifest.devices.find((x) => x.displayName === displayName);
  if (!d) throw new Error(`fixtures/devices.json has no ${displayName}`);
  return { thumbprint: d.thumbprint, deviceId: d.deviceId };
}

export interface Admin {
  readonly url: string;
  readonly dn: string;
  readonly password: string;
}

export interface Harness {
  readonly dir: DeviceDirectory;
  readonly engine: DecisionEngineWithInternals;
  /** What the directory logged (DC down/up, change tracking). */
  readonly log: string[];
  decide(): Promise<{ decision: string; status: string; source: string; reason: string }>;
  close(): Promise<void>;
}

export async function openHarness(server: LiveServer, options: { device?: string; changePollMs?: number; ttlMs?: number; urls?: string; attemptTimeoutMs?: number; timeoutMs?: number } = {}): Promise<Harness> {
  const log: string[] = [];
  const line = (level: string) => (fields: Record<string, unknown>, message: string) => void log.push(`${level} ${message} ${JSON.stringify(fields)}`);
  const dir = await openDirectory({
    logger: { info: line('info'), warn: line('warn'), error: line('error') },
    url: options.urls ?? server.url,
    bindDn: server.bindDn,
    password: server.password,
    ...(options.changePollMs !== undefined ? { changePollMs: options.changePollMs } : {}),
    ...(options.attemptTimeoutMs !== undefined ? { attemptTimeoutMs: options.attemptTimeoutMs } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  const engine = await createDecisionEngine({ rulesDir: `${ROOT}rules`, directory: dir, cache: options.ttlMs !== undefined ? { ttlMs: options.ttlMs, negativeTtlMs: options.ttlMs } : {} });
  const { thumbprint } = permittedDevice(options.device);
  return {
    dir,
    engine,
    log,
    async decide() {
      const d = await engine.decide({ relyingParty: PAYROLL, device: { thumbprint } });
      return { decision: d.decision, status: d.device.status, source: d.device.source, reason: d.reason.message };
    },
    async close() {
      await engine.close();
      await dir.close();
    },
  };
}

/** Decides every 20 ms until `done` holds; the time it took from now (ms), or rejects past `limitMs`. */
export async function until(label: string, h: Harness, done: (d: { decision: string; status: string }) => boolean, limitMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const d = await h.decide();
    const elapsed = performance.now() - started;
    if (done(d)) return elapsed;
    if (elapsed > limitMs) throw new Error(`${label}: decision still ${d.decision}/${d.status} after ${Math.round(elapsed)} ms; change tracking ${JSON.stringify((await h.dir.health()).changeTracking)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function withAdmin<T>(admin: Admin, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ url: admin.url, timeout: 10_000 });
  try {
    await client.bind(admin.dn, admin.password);
    return await fn(client);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

export async function setAttribute(admin: Admin, dn: string, name: string, value: string): Promise<void> {
  const { Attribute, Change } = await import('ldapts');
  await withAdmin(admin, (c) => c.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: name, values: [value] }) })));
}

/**
 * The cases, in order, on one device (the last one deletes it). `boundMs` is the revocation bound the
 * decision must meet; the harness decides how often the directory is polled.
 */
export function changeCases(t: Test, live: () => LiveServer, admin: () => Admin, options: { changePollMs: number; boundMs: number }): void {
  t.test('device changes in the directory reach the cached decision within the bound', async (t) => {
    const h = await openHarness(live(), { changePollMs: options.changePollMs });
    t.teardown(() => h.close());
    const first = await h.decide();
    t.match(first, { decision: 'permit', status: 'known', source: 'directory' });
    t.match(await h.decide(), { decision: 'permit', source: 'cache' }, 'the answer is cached (TTL 60 s)');
    const record = await h.dir.find({ kind: 'deviceId', deviceId: permittedDevice().deviceId });
    const dn = record!.dn;
    const times: Record<string, number> = {};

    await setAttribute(admin(), dn, 'msDS-IsEnabled', 'FALSE');
    times.disable = await until('disable', h, (d) => d.decision === 'deny' && d.status === 'disabled', options.boundMs + 5000);

    await setAttribute(admin(), dn, 'msDS-IsEnabled', 'TRUE');
    times.reenable = await until('reenable', h, (d) => d.decision === 'permit', options.boundMs + 5000);

    await setAttribute(admin(), dn, 'msDS-IsCompliant', 'FALSE');
    times.noncompliant = await until('noncompliant', h, (d) => d.decision === 'deny', options.boundMs + 5000);

    await setAttribute(admin(), dn, 'msDS-IsCompliant', 'TRUE');
    times.compliantAgain = await until('compliantAgain', h, (d) => d.decision === 'permit', options.boundMs + 5000);

    await withAdmin(admin(), (c) => c.del(dn));
    times.delete = await until('delete', h, (d) => d.decision === 'deny' && d.status === 'unknown', options.boundMs + 5000);

    t.comment(`revocation times (ms, poll ${options.changePollMs} ms): ${JSON.stringify(Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.round(v)])))}`);
    for (const [what, ms] of Object.entries(times)) t.ok(ms <= options.boundMs, `${what} seen after ${Math.round(ms)} ms (bound ${options.boundMs} ms)`);
    const health = await h.dir.health();
    t.equal(health.changeTracking?.ok, true, 'change tracking healthy');
    t.ok(['tombstones', 'presence', 'accesslog'].includes(health.changeTracking?.deletions ?? 'none'), `deletions are seen (${health.changeTracking?.deletions})`);
  });
}
