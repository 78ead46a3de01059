import t from 'tap';
import { createCachedDirectory } from '../../src/cache/index.js';
import { LdifDirectory, type DeviceQuery } from '../../src/directory/index.js';

// A real LDIF directory with two devices; the cache is judged by the directory's own search counter.
const TP1 = 'DB6EFEC376B876C5D1A3EE72CF591DF74B323A5E';
const KEY1 = `X509:<SHA1-TP-PUBKEY>${TP1}I2o7uyShbCc+1kJow6OX6c5fWtR4fRBXCDkolT4SET0=`;
const TP2 = '1111111111111111111111111111111111111111';
const LDIF = `dn: DC=contoso,DC=com
objectClass: domain
dc: contoso

dn: CN=00166477-081e-4bc4-b2f2-468326ef9428,CN=RegisteredDevices,DC=contoso,DC=com
objectClass: top
objectClass: msDS-Device
cn: 00166477-081e-4bc4-b2f2-468326ef9428
displayName: WEClient.contoso.com
altSecurityIdentities: ${KEY1}
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

function setup(options: Parameters<typeof createCachedDirectory>[1] = {}) {
  const directory = new LdifDirectory(LDIF, 'inline.ldif');
  let clock = 1_000_000;
  const cache = createCachedDirectory(directory, { now: () => clock, ...options });
  return { directory, cache, advance: (ms: number) => (clock += ms) };
}

const q1: DeviceQuery = { kind: 'thumbprint', thumbprint: TP1 };
const missing: DeviceQuery = { kind: 'thumbprint', thumbprint: 'F'.repeat(40) };

t.test('TTL: hits within 60 s, a new search after', async (t) => {
  const { directory, cache, advance } = setup();
  const first = await cache.lookup(q1);
  t.equal(first.source, 'directory');
  t.equal(first.record?.displayName, 'WEClient.contoso.com');
  const second = await cache.lookup(q1);
  t.equal(second.source, 'cache');
  t.equal(second.record, first.record);
  t.equal(directory.stats.searches, 1);
  advance(59_999);
  t.equal((await cache.lookup(q1)).source, 'cache');
  advance(2);
  t.equal((await cache.lookup(q1)).source, 'directory');
  t.equal(directory.stats.searches, 2);
  t.same({ hits: cache.counters.hits, misses: cache.counters.misses }, { hits: 2, misses: 2 });
});

t.test('negative entries live 10 s', async (t) => {
  const { directory, cache, advance } = setup();
  t.equal((await cache.lookup(missing)).record, undefined);
  const again = await cache.lookup(missing);
  t.equal(again.source, 'cache');
  t.equal(again.record, undefined);
  t.equal(directory.stats.searches, 1);
  advance(10_001);
  t.equal((await cache.lookup(missing)).source, 'directory');
  t.equal(directory.stats.searches, 2);
});

t.test('keys: thumbprint, key and device ID are separate entries', async (t) => {
  const { directory, cache } = setup();
  const queries: DeviceQuery[] = [q1, { kind: 'key', key: KEY1, thumbprint: TP1 }, { kind: 'deviceId', deviceId: '00166477-081e-4bc4-b2f2-468326ef9428' }];
  for (const q of queries) t.equal((await cache.lookup(q)).record?.displayName, 'WEClient.contoso.com', q.kind);
  for (const q of queries) t.equal((await cache.lookup(q)).source, 'cache', `${q.kind} cached`);
  t.equal(directory.stats.searches, 3);
  t.equal(cache.size, 3);
});

t.test('single flight: 1,000 concurrent lookups of one cold key = one directory search', async (t) => {
  const { directory, cache } = setup();
  const answers = await Promise.all(Array.from({ length: 1000 }, () => cache.lookup(q1)));
  t.equal(directory.stats.searches, 1);
  t.ok(answers.every((a) => a.record?.displayName === 'WEClient.contoso.com'));
  t.equal(cache.counters.coalesced, 999);
  // The same holds for a not-found key.
  await Promise.all(Array.from({ length: 1000 }, () => cache.find(missing)));
  t.equal(directory.stats.searches, 2);
});

t.test('stale-if-error: within the bound answers stale_cache, past it fails', async (t) => {
  const { directory, cache, advance } = setup({ staleIfErrorMs: 300_000 });
  await cache.lookup(q1);
  await cache.lookup(missing);
  await directory.close(); // the directory now fails every search
  advance(61_000);
  const stale = await cache.lookup(q1);
  t.equal(stale.source, 'stale_cache');
  t.equal(stale.record?.displayName, 'WEClient.contoso.com');
  const staleMissing = await cache.lookup(missing);
  t.equal(staleMissing.source, 'stale_cache');
  t.equal(staleMissing.record, undefined);
  t.equal(cache.counters.stale, 2);
  advance(300_000); // 361 s after storing: past 60 s + 300 s
  await t.rejects(cache.lookup(q1), { code: 'DG_ERR_DIRECTORY_CLOSED' });
  // A key never cached fails at once.
  await t.rejects(cache.lookup({ kind: 'thumbprint', thumbprint: TP2 }), { code: 'DG_ERR_DIRECTORY_CLOSED' });
  t.equal(cache.counters.errors, 4);
});

t.test('stale-if-error 0 never serves stale', async (t) => {
  const { directory, cache, advance } = setup({ staleIfErrorMs: 0 });
  await cache.lookup(q1);
  await directory.close();
  advance(60_001);
  await t.rejects(cache.lookup(q1), { code: 'DG_ERR_DIRECTORY_CLOSED' });
});

t.test('purge by thumbprint, device ID, cache key, or all', async (t) => {
  const { directory, cache } = setup();
  const fill = async () => {
    await cache.lookup(q1);
    await cache.lookup({ kind: 'key', key: KEY1, thumbprint: TP1 });
    await cache.lookup({ kind: 'deviceId', deviceId: '00166477-081e-4bc4-b2f2-468326ef9428' });
    await cache.lookup({ kind: 'thumbprint', thumbprint: TP2 });
    await cache.lookup(missing);
  };
  await fill();
  t.equal(cache.size, 5);
  t.equal(cache.purge(TP1), 3, 'the thumbprint purges every entry of that device');
  t.equal(cache.size, 2);
  t.equal((await cache.lookup(q1)).source, 'directory');
  await fill();
  t.equal(cache.purge('00166477-081e-4bc4-b2f2-468326ef9428'), 3, 'the device ID too');
  await fill();
  t.equal(cache.purge(`t:${'F'.repeat(40)}`), 1, 'a cache key purges that entry');
  t.equal(cache.purge('nothing-like-this'), 0);
  t.equal(cache.purge(), 4);
  t.equal(cache.size, 0);
  const before = directory.stats.searches;
  await cache.lookup({ kind: 'thumbprint', thumbprint: TP2 });
  t.equal(directory.stats.searches, before + 1);
});

t.test('ttl 0 disables caching but keeps single flight', async (t) => {
  const { directory, cache } = setup({ ttlMs: 0, negativeTtlMs: 0 });
  await Promise.all([cache.lookup(q1), cache.lookup(q1)]);
  t.equal(directory.stats.searches, 1);
  await cache.lookup(q1);
  t.equal(directory.stats.searches, 2);
  t.equal(cache.size, 0);
});
