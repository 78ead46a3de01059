// Inventory and WHfB-check behaviour over the WHfB world, run against each backend (LDIF, Samba AD).
import type { Test } from 'tap';
import type { DirectoryScanner } from '../../src/directory/index.js';
import { buildInventory, checkWhfb } from '../../src/inventory/index.js';
import { world } from './world.js';

const norm = (dn: string) => dn.replace(/\s*,\s*/g, ',').toLowerCase();
const key = (f: { kind: string; dn: string }) => `${f.kind} ${norm(f.dn)}`;

export function inventoryCases(
  t: Test,
  scanner: () => DirectoryScanner,
  options: { readonly pageSize?: number; readonly sidOf?: (fixtureSid: string) => string } = {},
): void {
  const sidOf = options.sidOf ?? ((sid: string) => sid);
  const now = new Date(world.referenceTime);

  t.test('inventory finds exactly the findings the world was built with', async (t) => {
    const pages: number[] = [];
    const report = await buildInventory(scanner(), { now, staleDays: world.staleDays, ...(options.pageSize ? { pageSize: options.pageSize } : {}), onProgress: (p) => pages.push(p.devices) });
    t.same([...new Set(report.findings.map(key))].sort(), [...new Set(world.findings.map(key))].sort());
    t.equal(report.devices.total, world.devices.length);
    t.equal(report.devices.disabled, world.devices.filter((d) => !d.enabled).length);
    t.equal(report.devices.stale, world.devices.filter((d) => d.stale).length);
    t.equal(report.devices.managed, world.devices.filter((d) => d.managed).length);
    t.equal(report.devices.compliant, world.devices.filter((d) => d.compliant).length);
    for (const tt of [0, 1, 2]) t.equal(report.devices.byTrustType[String(tt)] ?? 0, world.devices.filter((d) => d.trustType === tt).length, `trust type ${tt}`);
    const withKeys = world.users.filter((u) => u.keys.length > 0);
    t.equal(report.keys.usersWithKeys, withKeys.length);
    t.equal(report.keys.usersWithNgcKeys, withKeys.filter((u) => u.keys.some((k) => !k.malformed)).length);
    t.equal(report.keys.total, withKeys.reduce((n, u) => n + u.keys.length, 0));
    t.equal(report.keys.roca, world.users.flatMap((u) => u.keys).filter((k) => k.roca).length);
    t.equal(report.keys.malformed, world.users.flatMap((u) => u.keys).filter((k) => k.malformed).length);
    t.equal(report.keys.byUsage.NGC, report.keys.total - report.keys.malformed);
    t.equal(report.devicesDn.toLowerCase(), world.domain.devicesDn.toLowerCase());
    t.equal(report.deviceRegistrationService, true);
    if (options.pageSize) t.ok(pages.length >= Math.ceil(world.devices.length / options.pageSize), 'progress reported per page');
  });

  const checkOf = async (user: string, deviceId?: string) => checkWhfb(scanner(), user, deviceId ? { deviceId } : {});
  const statusOf = (r: Awaited<ReturnType<typeof checkOf>>, check: string) => r.checks.filter((c) => c.check === check).map((c) => c.status);

  t.test('whfb check: a user whose key meets an enabled device registered to them passes', async (t) => {
    const erin = world.users.find((u) => u.name === 'erin')!;
    for (const id of [erin.upn, sidOf(erin.sid), erin.dn]) {
      const r = await checkOf(id);
      t.equal(r.ok, true, id);
      t.same(statusOf(r, 'device_written_back'), ['pass']);
      t.same(statusOf(r, 'device_registered_to_user'), ['pass']);
      t.same(statusOf(r, 'device_certificate_key'), ['pass']);
      t.same(statusOf(r, 'device_registration_service'), ['pass']);
    }
  });

  t.test('whfb check: each broken prerequisite fails with what to do', async (t) => {
    const cases: [string, string, RegExp][] = [
      ['frank', 'device_written_back', /check Entra Connect device writeback/],
      ['grace', 'device_enabled', /enable the device/],
      ['judy', 'device_registered_to_user', /register/],
      ['kate', 'user_has_ngc_keys', /provision Windows Hello/],
      ['leo', 'device_certificate_key', /certificate key was not written back/],
    ];
    for (const [name, check, fix] of cases) {
      const r = await checkOf(world.users.find((u) => u.name === name)!.upn);
      t.equal(r.ok, false, name);
      const failed = r.checks.find((c) => c.check === check && c.status === 'fail');
      t.ok(failed, `${name}: ${check} fails`);
      t.match(failed?.fix ?? '', fix, name);
    }
    const leo = await checkOf('leo@contoso.com');
    t.same(statusOf(leo, 'key_readable'), ['warn'], 'the malformed key is reported, not fatal');
  });

  t.test('whfb check: --device narrows to one device; unknown users fail cleanly', async (t) => {
    const erin = world.users.find((u) => u.name === 'erin')!;
    const other = world.devices.find((d) => d.slug === 'grace-desktop')!;
    const narrowed = await checkOf(erin.upn, other.deviceId.toUpperCase());
    t.same(statusOf(narrowed, 'user_has_ngc_keys'), ['fail']);
    const mine = await checkOf(erin.upn, erin.keys[0]!.deviceId);
    t.equal(mine.ok, true);
    const nobody = await checkOf('nobody@contoso.com');
    t.same(statusOf(nobody, 'user_exists'), ['fail']);
    t.equal(nobody.ok, false);
    const injection = await checkOf('*)(objectClass=*');
    t.equal(injection.ok, false, 'a filter-injection attempt is just a user that does not exist');
  });
}
