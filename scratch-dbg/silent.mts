import { startSlapd, startSilentServer } from '/work/wt/directory/test/harness/index.js';
import { activeFixture } from '/work/wt/directory/test/directory/active-fixture.js';
import { openDirectory } from '/work/wt/directory/src/directory/index.js';
const spec = activeFixture();
const s = await startSlapd(spec.ldifPath, { serviceAccount: spec.serviceAccount });
const silent = await startSilentServer();
const t0 = performance.now();
const log = (l: string) => (f: object, m: string) => console.log(Math.round(performance.now() - t0), l, m, JSON.stringify(f));
try {
  const dir = await openDirectory({ url: `${silent.url},${s.url}`, bindDn: s.bindDn, password: s.password, timeoutMs: 500, logger: { info: log('info'), warn: log('warn'), error: log('error') } });
  const id = spec.devices[0]!.deviceId;
  await dir.find({ kind: 'deviceId', deviceId: id }).then((r) => console.log('1 ok'), (e) => console.log(Math.round(performance.now() - t0), '1 err', e.message));
  await dir.find({ kind: 'deviceId', deviceId: id }).then((r) => console.log(Math.round(performance.now() - t0), '2 ok'), (e) => console.log(Math.round(performance.now() - t0), '2 err', e.message));
  console.log(JSON.stringify((await dir.health()).servers));
  await dir.close();
} finally { await silent.close(); await s.stop(); }
