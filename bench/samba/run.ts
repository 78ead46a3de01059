// Cold path against a Samba AD DC: devicegate's LDAP backend (openDirectory + find, no cache) vs a raw
// ldapts search loop with the same thumbprint filter, attributes and connections, same DC, same run
// (interleaved rounds, as bench/lookup does against slapd). The fixture's directory devices, in turn.
// Env: as bench/ldap-baseline.ts. Writes bench/results/samba.json.
import { readFile } from 'node:fs/promises';
import { Client } from 'ldapts';
import { BINARY_ATTRIBUTES, DEVICE_ATTRIBUTES, SHA1_TP_PUBKEY_PREFIX, openDirectory } from '../../src/directory/index.js';
import { startSambaDc } from '../../test/harness/index.js';
import { CONNECTIONS, IN_FLIGHT, ROOT, ROUNDS, SECONDS, interleave, loadAverage, median, writeResult } from '../ldap-baseline.js';

const manifest = JSON.parse(await readFile(`${ROOT}fixtures/devices.json`, 'utf8')) as {
  serviceAccount: { dn: string; password: string };
  domain: { devicesDn: string };
  devices: { thumbprint: string; inDirectory: boolean }[];
};
const thumbprints = manifest.devices.filter((d) => d.inDirectory).map((d) => d.thumbprint);
const t0 = performance.now();
const server = await startSambaDc(`${ROOT}fixtures/contoso.ldif`, manifest.serviceAccount);
const startSeconds = (performance.now() - t0) / 1000;
try {
  const dir = await openDirectory({ url: server.url, bindDn: server.bindDn, password: server.password, poolSize: CONNECTIONS, timeoutMs: 5000 });
  const clients = await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const c = new Client({ url: server.url, timeout: 5000, connectTimeout: 5000 });
      await c.bind(server.bindDn, server.password);
      return c;
    }),
  );
  const tpAt = (i: number): string => thumbprints[i % thumbprints.length]!;
  const viaDevicegate = async (i: number): Promise<void> => {
    if (!(await dir.find({ kind: 'thumbprint', thumbprint: tpAt(i) }))) throw new Error('devicegate: device not found');
  };
  const raw = async (i: number): Promise<void> => {
    const { searchEntries } = await clients[i % CONNECTIONS]!.search(manifest.domain.devicesDn, {
      scope: 'sub',
      filter: `(&(objectClass=msDS-Device)(altSecurityIdentities=${SHA1_TP_PUBKEY_PREFIX}${tpAt(i)}*))`,
      attributes: [...DEVICE_ATTRIBUTES],
      explicitBufferAttributes: [...BINARY_ATTRIBUTES],
      sizeLimit: 2,
      timeLimit: 5,
    });
    if (searchEntries.length !== 1) throw new Error('raw: device not found');
  };
  const rounds = await interleave(viaDevicegate, raw);
  const result = {
    benchmark: 'samba',
    when: new Date().toISOString(),
    server: 'Samba AD DC (private, own loopback address)',
    serverStartSeconds: Number(startSeconds.toFixed(1)),
    devices: thumbprints.length,
    query: 'thumbprint (altSecurityIdentities prefix), full device attribute set',
    connections: CONNECTIONS,
    inFlight: IN_FLIGHT,
    seconds: SECONDS,
    rounds: ROUNDS,
    devicegateSearchesPerSecond: Math.round(median(rounds.measured)),
    rawLdaptsSearchesPerSecond: Math.round(median(rounds.baseline)),
    ratio: rounds.ratio,
    medianPairRatio: rounds.medianPairRatio,
    loadAverage: loadAverage(),
    perRound: { devicegate: rounds.measured.map(Math.round), raw: rounds.baseline.map(Math.round) },
  };
  console.log(`samba: devicegate ${result.devicegateSearchesPerSecond} searches/s vs raw ldapts ${result.rawLdaptsSearchesPerSecond}/s: ratio ${result.ratio} (median of pairs ${result.medianPairRatio}); DC started in ${result.serverStartSeconds} s`);
  await writeResult('samba', result);
  await Promise.all(clients.map((c) => c.unbind()));
  await dir.close();
} finally {
  await server.stop();
}
