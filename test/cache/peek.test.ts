import t from 'tap';
import { createCachedDirectory } from '../../src/cache/index.js';
import { LdifDirectory, type DeviceQuery } from '../../src/directory/index.js';

const TP = 'DB6EFEC376B876C5D1A3EE72CF591DF74B323A5E';
const LDIF = `dn: DC=contoso,DC=com
objectClass: domain
dc: contoso

dn: CN=one,CN=RegisteredDevices,DC=contoso,DC=com
objectClass: top
objectClass: msDS-Device
cn: one
displayName: One
altSecurityIdentities: X509:<SHA1-TP-PUBKEY>${TP}AAAA
msDS-IsEnabled: TRUE
`;

const q: DeviceQuery = { kind: 'thumbprint', thumbprint: TP };
const missing: DeviceQuery = { kind: 'thumbprint', thumbprint: 'F'.repeat(40) };

function setup(options: Parameters<typeof createCachedDirectory>[1] = {}) {
  const directory = new LdifDirectory(LDIF, 'inline.ldif');
  let clock = 5_000;
  const cache = createCachedDirectory(directory, { now: () => clock, ...options });
  return { directory, cache, advance: (ms: number) => (clock += ms) };
}

t.test('peek answers only fresh entries, never searches, counts hits like lookup', async (t) => {
  const { directory, cache, advance } = setup({ ttlMs: 1000, negativeTtlMs: 500 });
  t.equal(cache.peek(q), undefined, 'nothing cached yet');
  t.equal(directory.stats.searches, 0, 'peek does not search');
  t.equal(cache.counters.hits, 0);
  const first = await cache.lookup(q);
  t.equal(first.source, 'directory');
  const hit = cache.peek(q);
  t.equal(hit?.source, 'cache');
  t.equal(hit?.record, first.record, 'the same record object');
  t.equal(cache.counters.hits, 1);
  t.equal(cache.peek(q), hit, 'the same answer object on every hit (no allocation)');
  t.equal((await cache.lookup(q)), hit, 'lookup gives that answer too');
  t.equal(cache.counters.hits, 3);
  await cache.lookup(missing);
  const negative = cache.peek(missing);
  t.same(negative, { record: undefined, source: 'cache' }, 'a cached not-found is a fresh answer with no record');
  advance(600);
  t.equal(cache.peek(missing), undefined, 'negative entries expire on their own TTL');
  t.ok(cache.peek(q), 'the found device is still fresh');
  advance(500);
  t.equal(cache.peek(q), undefined, 'past its TTL');
  t.equal(directory.stats.searches, 2, 'still only the two lookups searched');
  t.ok(Object.isFrozen(hit), 'shared answers are frozen');
});

t.test('peek after a purge or with caching off', async (t) => {
  const { cache } = setup();
  await cache.lookup(q);
  t.ok(cache.peek(q));
  cache.purge(TP);
  t.equal(cache.peek(q), undefined);
  const off = setup({ ttlMs: 0, negativeTtlMs: 0, staleIfErrorMs: 0 });
  await off.cache.lookup(q);
  t.equal(off.cache.peek(q), undefined, 'ttl 0: nothing is ever fresh');
  t.equal(off.directory.stats.searches, 1);
});
