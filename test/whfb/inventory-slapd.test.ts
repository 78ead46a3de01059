// The WHfB world in slapd (msDS-KeyCredentialLink held as text there: slapd has no DN-Binary syntax,
// and LDAP returns DN-Binary as that same text anyway): the LDAP scanner's paged passes and look-ups.
import t from 'tap';
import { openScanner, type DirectoryScanner } from '../../src/directory/index.js';
import { startSlapd, type SlapdServer } from '../harness/index.js';
import { inventoryCases } from './inventory-cases.js';
import { WORLD_LDIF, world } from './world.js';

let server: SlapdServer | undefined;
let scanner: DirectoryScanner | undefined;
t.before(async () => {
  server = await startSlapd(WORLD_LDIF, { serviceAccount: world.serviceAccount });
  scanner = await openScanner({ url: server.url, bindDn: server.bindDn, password: server.password, baseDn: world.domain.dn, timeoutMs: 10_000 });
});
t.teardown(async () => {
  await scanner?.close();
  await server?.stop();
});

inventoryCases(t, () => scanner!, { pageSize: 2 });

t.test('a wrong password is a bind error naming the account, never the password', async (t) => {
  const bad = await openScanner({ url: server!.url, bindDn: server!.bindDn, password: 'wrong-password-xyz', baseDn: world.domain.dn, timeoutMs: 5000 });
  t.teardown(() => bad.close());
  const error = await bad.naming().then(() => undefined, (e: Error & { code?: string }) => e);
  t.equal(error?.code, 'DG_ERR_DIRECTORY_BIND');
  t.match(error?.message, /svc-devicelookup/);
  t.notMatch(error?.message, /wrong-password-xyz/);
});
