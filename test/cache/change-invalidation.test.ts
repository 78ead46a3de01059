// The cache and change tracking: entries of changed devices go, not-found answers go, a reset drops
// everything, an answer fetched across an invalidation is handed out but not kept; the default
// stale-if-error is 0 (an outage never extends a permit).
import t from 'tap';
import { createCachedDirectory } from '../../src/cache/index.js';
import { DirectoryError, LdifDirectory, type ChangeBatch, type ChangeTracking, type DeviceDirectory, type DeviceQuery, type DeviceRecord } from '../../src/directory/index.js';

const TP1 = 'DB6EFEC376B876C5D1A3EE72CF591DF74B323A5E';
const TP2 = '1111111111111111111111111111111111111111';
const DN1 = 'CN=00166477-081e-4bc4-b2f2-468326ef9428,CN=RegisteredDevices,DC=contoso,DC=com';
const LDIF = `dn: DC=contoso,DC=com
objectClass: domain
dc: contoso

dn: ${DN1}
objectClass: top
objectClass: msDS-Device
cn: 00166477-081e-4bc4-b2f2-468326ef9428
displayName: First
altSecurityIdentities: X509:<SHA1-TP-PUBKEY>${TP1}I2o7uyShbCc+1kJow6OX6c5fWtR4fRBXCDkolT4SET0=
msDS-DeviceID:: d2QWAB4IxEuy8kaDJu+UKA==
msDS-IsEnabled: TRUE

dn: CN=second,CN=RegisteredDevices,DC=contoso,DC=com
objectClass: top
objectClass: msDS-Device
cn: second
displayName: Second
altSecurityIdentities: X509:<SHA1-TP-PUBKEY>${TP2}AAAA
msDS-IsEnabled: TRUE
`;
const q1: DeviceQuery = { kind: 'thumbprint', thumbprint: TP1 };
const q2: DeviceQuery = { kind: 'thumbprint', thumbprint: TP2 };
const missing: DeviceQuery = { kind: 'thumbprint', thumbprint: 'F'.repeat(40) };

/** The LDIF directory with a change feed the test drives by hand, and finds that can be held. */
function setup() {
  const ldif = new LdifDirectory(LDIF, 'inline.ldif');
  const listeners: ((b: ChangeBatch) => void)[] = [];
  let watched: (() => Iterable<string>) | undefined;
  const changes: ChangeTracking = {
    subscribe(listener, w) {
      listeners.push(listener);
      watched = w;
      return () => undefined;
    },
    state: () => ({ mode: 'usn', ok: true, intervalMs: 1000 }),
  };
  let hold: Promise<void> | undefined;
  let fail = false;
  const inner: DeviceDirectory = {
    backend: 'ldap',
    description: 'test',
    stats: ldif.stats,
    changes,
    async find(query) {
      if (hold) await hold;
      if (fail) throw new DirectoryError('DG_ERR_DIRECTORY_UNAVAILABLE', 'down');
      const record = await ldif.find(query);
      // Pretend the directory makes objectGUIDs (AD does).
      return record ? ({ ...record, objectGuid: record.cn === 'second' ? '22222222-2222-2222-2222-222222222222' : undefined } as DeviceRecord) : undefined;
    },
    issuerCertificates: () => ldif.issuerCertificates(),
    searchAttributes: (f, a, s) => ldif.searchAttributes(f, a, s),
    health: () => ldif.health(),
    close: () => ldif.close(),
  };
  const cache = createCachedDirectory(inner);
  return {
    cache,
    ldif,
    emit: (b: ChangeBatch) => listeners.forEach((l) => l(b)),
    watched: () => [...(watched?.() ?? [])],
    holdFinds: () => {
      let release!: () => void;
      hold = new Promise<void>((r) => (release = r));
      return () => {
        hold = undefined;
        release();
      };
    },
    setFail: (v: boolean) => (fail = v),
  };
}

t.test('a change drops the changed device (by DN, case-insensitive, or objectGUID) and every not-found answer', async (t) => {
  const { cache, emit, ldif, watched } = setup();
  await cache.lookup(q1);
  await cache.lookup(q2);
  await cache.lookup(missing);
  t.equal(cache.size, 3);
  t.same(watched(), ['22222222-2222-2222-2222-222222222222'], 'the objectGUIDs held are offered for presence checks');
  emit({ reset: false, changes: [{ kind: 'modify', dn: DN1.toLowerCase() }] });
  t.equal(cache.size, 1, 'the first device and the not-found answer went');
  t.equal((await cache.lookup(q2)).source, 'cache', 'the other device stays');
  emit({ reset: false, changes: [{ kind: 'delete', objectGuid: '22222222-2222-2222-2222-222222222222', dn: 'CN=second\\0ADEL:x,CN=Deleted Objects,DC=contoso,DC=com' }] });
  t.equal(cache.size, 0, 'a tombstone matches by objectGUID');
  const searches = ldif.stats.searches;
  t.equal((await cache.lookup(q1)).source, 'directory');
  t.equal(ldif.stats.searches, searches + 1);
  t.equal(cache.counters.invalidated, 3);
});

t.test('a reset drops everything', async (t) => {
  const { cache, emit } = setup();
  await cache.lookup(q1);
  await cache.lookup(q2);
  emit({ reset: true, reason: 'tracking moved to another DC' });
  t.equal(cache.size, 0);
  t.equal((await cache.lookup(q1)).source, 'directory');
});

t.test('an answer fetched across an invalidation is handed out once, not kept', async (t) => {
  const { cache, emit, holdFinds } = setup();
  const release = holdFinds();
  const pending = cache.lookup(q1);
  emit({ reset: false, changes: [{ kind: 'modify', dn: DN1 }] });
  release();
  t.equal((await pending).source, 'directory');
  t.equal(cache.size, 0, 'not stored: it may predate the change');
  t.equal((await cache.lookup(q1)).source, 'directory');
  t.equal((await cache.lookup(q1)).source, 'cache');
});

t.test('default stale-if-error is 0: an outage never extends a cached permit', async (t) => {
  const ldif = new LdifDirectory(LDIF, 'inline.ldif');
  let clock = 0;
  let down = false;
  const inner: DeviceDirectory = Object.assign(Object.create(ldif) as DeviceDirectory, {
    find: async (q: DeviceQuery) => {
      if (down) throw new DirectoryError('DG_ERR_DIRECTORY_UNAVAILABLE', 'down');
      return ldif.find(q);
    },
  });
  const cache = createCachedDirectory(inner, { now: () => clock });
  t.equal((await cache.lookup(q1)).record?.displayName, 'First');
  down = true;
  clock += 60_001;
  await t.rejects(cache.lookup(q1), { code: 'DG_ERR_DIRECTORY_UNAVAILABLE' }, 'past its TTL, the outage is an error, not the old permit');
  t.equal(cache.counters.stale, 0);
});
