import { startSambaDc } from '/work/wt/directory/test/harness/index.js';
import { activeFixture } from '/work/wt/directory/test/directory/active-fixture.js';
import { openDirectory, LdapDirectory } from '/work/wt/directory/src/directory/index.js';
import { withAdmin, permittedDevice } from '/work/wt/directory/test/directory/change-cases.js';
import { SAMBA_ADMIN_PASSWORD } from '/work/wt/directory/test/harness/start-samba-dc.js';
const spec = activeFixture();
const server = await startSambaDc(spec.ldifPath, spec.serviceAccount);
try {
  const dir = (await openDirectory({ url: server.url, bindDn: server.bindDn, password: server.password, changePollMs: 200 })) as LdapDirectory;
  dir.changes.subscribe((b) => console.log('batch', JSON.stringify(b)));
  const rec = await dir.find({ kind: 'deviceId', deviceId: permittedDevice().deviceId });
  console.log('record', rec?.dn, rec?.objectGuid);
  await new Promise((r) => setTimeout(r, 600));
  await withAdmin({ url: server.url, dn: 'CN=Administrator,CN=Users,DC=contoso,DC=com', password: SAMBA_ADMIN_PASSWORD }, (c) => c.del(rec!.dn));
  await new Promise((r) => setTimeout(r, 1500));
  const { execSync } = await import('node:child_process');
  for (const [dn, pw] of [['CN=Administrator,CN=Users,DC=contoso,DC=com', SAMBA_ADMIN_PASSWORD], [server.bindDn, server.password]]) {
    console.log('==', dn);
    try { console.log(execSync(`ldapsearch -x -H ${server.url} -D '${dn}' -w '${pw}' -E '!1.2.840.113556.1.4.417' -b 'CN=Deleted Objects,DC=contoso,DC=com' -s one '(isDeleted=TRUE)' objectClass objectGUID uSNChanged isDeleted 2>&1`).toString().slice(0, 3000)); } catch (e) { console.log(String((e as any).stdout)); }
  }
  console.log(JSON.stringify((await dir.health()).changeTracking));
  await dir.close();
} finally { await server.stop(); }
