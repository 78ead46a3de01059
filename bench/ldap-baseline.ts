// What bench/lookup and bench/decision share: a private slapd with N generated devices, the raw ldapts
// search loop both compare against (same thumbprint filter, same attributes, same connections), and
// interleaved rounds (ABBA order: the machine is shared, so load drifts within a run).
// Env: BENCH_DEVICES (2000), BENCH_CONNECTIONS (2), BENCH_IN_FLIGHT (16), BENCH_SECONDS (1.5), BENCH_ROUNDS (8).
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { Client } from 'ldapts';
import { BINARY_ATTRIBUTES, DEVICE_ATTRIBUTES, guidToBytes, SHA1_TP_PUBKEY_PREFIX, type RawValue } from '../src/directory/index.js';
import { startSlapd, type LdifRecord, type SlapdServer } from '../test/harness/index.js';

export const ROOT = new URL('../', import.meta.url).pathname;
export const DEVICES = Number(process.env.BENCH_DEVICES ?? 2000);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 2);
export const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 16);
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const SERVICE = { dn: 'CN=svc-devicelookup,CN=Users,DC=contoso,DC=com', password: 'Passw0rd-for-tests!' };
const DEVICES_DN = 'CN=RegisteredDevices,DC=contoso,DC=com';

/** The i-th generated device: enabled, managed (every other one compliant), its own thumbprint. */
export function deviceEntry(i: number): { record: LdifRecord; thumbprint: string } {
  const id = randomUUID();
  const tp = createHash('sha1').update(`bench-${i}`).digest('hex').toUpperCase();
  const pk = createHash('sha256').update(`bench-pk-${i}`).digest('base64');
  return {
    thumbprint: tp,
    record: {
      dn: `CN=${id},${DEVICES_DN}`,
      attributes: new Map<string, RawValue[]>([
        ['objectClass', ['top', 'msDS-Device']], ['cn', [id]], ['displayName', [`BENCH-${i}`]],
        ['altSecurityIdentities', [`${SHA1_TP_PUBKEY_PREFIX}${tp}${pk}`]], ['msDS-DeviceID', [guidToBytes(id)]],
        ['msDS-IsEnabled', ['TRUE']], ['msDS-DeviceOSType', ['Windows']], ['msDS-DeviceOSVersion', ['10.0.22631.4460']],
        ['msDS-DeviceTrustType', ['2']], ['msDS-IsManaged', ['TRUE']], ['msDS-IsCompliant', [i % 2 ? 'TRUE' : 'FALSE']],
        ['msDS-RegisteredOwner', [Buffer.from('AQUAAAAAAAUVAAAAfqHBjc803Z/DzvQZUQQAAA==', 'base64')]],
        ['msDS-ApproximateLastLogonTimeStamp', ['134380818000000000']],
      ]),
    },
  };
}

/** N generated devices (deviceEntry 0..N-1). */
export function generate(n: number): { records: LdifRecord[]; thumbprints: string[] } {
  const records: LdifRecord[] = [];
  const thumbprints: string[] = [];
  for (let i = 0; i < n; i++) {
    const { record, thumbprint } = deviceEntry(i);
    records.push(record);
    thumbprints.push(thumbprint);
  }
  return { records, thumbprints };
}

/** Run `workers` loops of `op` for `seconds`; returns completed operations per second. */
export async function drive(seconds: number, workers: number, op: (i: number) => Promise<void>): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      let i = w;
      while (performance.now() < end) {
        await op(i);
        i += workers;
        done++;
      }
    }),
  );
  return done / seconds;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export interface LdapBench {
  readonly server: SlapdServer;
  /** The i-th thumbprint of a spread-out sequence over the generated devices. */
  tpAt(i: number): string;
  /** One raw ldapts search for tpAt(i) on connection i % CONNECTIONS; throws unless exactly one entry. */
  raw(i: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts slapd with the fixture + N generated devices and binds CONNECTIONS raw ldapts clients. */
export async function startLdapBench(): Promise<LdapBench> {
  const { records, thumbprints } = generate(DEVICES);
  const server = await startSlapd(`${ROOT}fixtures/contoso.ldif`, { extra: records, serviceAccount: SERVICE });
  const clients = await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const c = new Client({ url: server.url, timeout: 5000, connectTimeout: 5000 });
      await c.bind(server.bindDn, server.password);
      return c;
    }),
  );
  const attributes = [...DEVICE_ATTRIBUTES];
  const explicitBufferAttributes = [...BINARY_ATTRIBUTES];
  const tpAt = (i: number): string => thumbprints[(i * 7919) % thumbprints.length]!;
  return {
    server,
    tpAt,
    async raw(i) {
      const { searchEntries } = await clients[i % CONNECTIONS]!.search(DEVICES_DN, {
        scope: 'sub',
        filter: `(&(objectClass=msDS-Device)(altSecurityIdentities=${SHA1_TP_PUBKEY_PREFIX}${tpAt(i)}*))`,
        attributes,
        explicitBufferAttributes,
        sizeLimit: 2,
        timeLimit: 5,
      });
      if (searchEntries.length !== 1) throw new Error('raw: device not found');
    },
    async close() {
      await Promise.all(clients.map((c) => c.unbind()));
      await server.stop();
    },
  };
}

/** Warms both, then ROUNDS interleaved rounds; per-round rates of each, plus the ratio statistics. */
export async function interleave(
  measured: (i: number) => Promise<void>,
  baseline: (i: number) => Promise<void>,
  onRound?: (measuredRate: number) => void,
): Promise<{ measured: number[]; baseline: number[]; ratio: number; medianPairRatio: number }> {
  await drive(1, IN_FLIGHT, measured);
  await drive(1, IN_FLIGHT, baseline);
  const m: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      m.push(await drive(SECONDS, IN_FLIGHT, measured));
      b.push(await drive(SECONDS, IN_FLIGHT, baseline));
    } else {
      b.push(await drive(SECONDS, IN_FLIGHT, baseline));
      m.push(await drive(SECONDS, IN_FLIGHT, measured));
    }
    onRound?.(m.at(-1)!);
  }
  return {
    measured: m,
    baseline: b,
    ratio: Number((median(m) / median(b)).toFixed(3)),
    medianPairRatio: Number(median(m.map((x, i) => x / b[i]!)).toFixed(3)),
  };
}

export const loadAverage = (): number[] => loadavg().map((x) => Number(x.toFixed(2)));

export async function writeResult(name: string, result: object): Promise<void> {
  await mkdir(`${ROOT}bench/results`, { recursive: true });
  await writeFile(`${ROOT}bench/results/${name}.json`, JSON.stringify(result, null, 2) + '\n');
}
