import { startSlapd, SLAPD_ROOT_DN, SLAPD_ROOT_PASSWORD } from '/work/wt/directory/test/harness/index.js';
import { activeFixture } from '/work/wt/directory/test/directory/active-fixture.js';
import { openDirectory, LdapDirectory } from '/work/wt/directory/src/directory/index.js';
import { setAttribute, permittedDevice } from '/work/wt/directory/test/directory/change-cases.js';
const spec = activeFixture();
const s = await startSlapd(spec.ldifPath, { serviceAccount: spec.serviceAccount });
try {
  const dir = (await openDirectory({ url: s.url, bindDn: s.bindDn, password: s.password, changePollMs: 1000 })) as LdapDirectory;
  let t0 = 0;
  dir.changes.subscribe((b) => console.log('batch', Math.round(performance.now() - t0), JSON.stringify(b)));
  const rec = await dir.find({ kind: 'deviceId', deviceId: permittedDevice().deviceId });
  await new Promise((r) => setTimeout(r, 1300));
  for (let i = 0; i < 3; i++) {
    t0 = performance.now();
    await setAttribute({ url: s.url, dn: SLAPD_ROOT_DN, password: SLAPD_ROOT_PASSWORD }, rec!.dn, 'msDS-IsEnabled', i % 2 ? 'TRUE' : 'FALSE');
    console.log('written', Math.round(performance.now() - t0), 'polls', dir.changes.polls);
    await new Promise((r) => setTimeout(r, 1700));
  }
  const { execSync } = await import('node:child_process');
  console.log(execSync(`ldapsearch -x -H ${s.url} -D '${SLAPD_ROOT_DN}' -w '${SLAPD_ROOT_PASSWORD}' -b cn=accesslog -s one reqStart reqType reqDN | grep -E '^req'`).toString());
  await dir.close();
} finally { await s.stop(); }
