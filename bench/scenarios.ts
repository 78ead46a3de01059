// The benchmark suite: one entry per scenario, run by bench/run.ts, each step in its own process.
// To add a scenario, add an entry (its steps write bench/results/<result>.json; `headline` picks the
// figures for the summary table, each a ratio to a baseline measured in the same run).

export interface Step {
  /** Script under bench/, run with tsx in a child process. */
  readonly script: string;
  /** Environment for the full run and, merged over it, for --quick. */
  readonly env?: Readonly<Record<string, string>>;
  readonly quickEnv?: Readonly<Record<string, string>>;
  /** The bench/results/<result>.json the step writes. */
  readonly result: string;
  /** Left out of --quick (says why). */
  readonly notInQuick?: string;
}

export interface Headline {
  readonly figure: string;
  readonly value: number | string;
  readonly baseline: number | string;
  readonly ratio: number;
  /** What a good ratio is, e.g. ">= 0.8". */
  readonly bar?: string;
}

export interface Scenario {
  readonly name: string;
  readonly means: string;
  readonly steps: readonly Step[];
  /** Left out of --quick (says why). */
  readonly notInQuick?: string;
  /** Scenarios another change adds: skipped when the script is absent. */
  readonly optional?: boolean;
  readonly headline: (results: Readonly<Record<string, Record<string, unknown>>>) => Headline[];
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);
const r3 = (x: number): number => Number(x.toFixed(3));

function http(result: Record<string, unknown> | undefined, label: string): Headline[] {
  if (!result) return [];
  const bare = result.bare as { requestsPerSecond: number };
  const cached = result.cachedDecision as { requestsPerSecond: number };
  return [
    { figure: `${label}: req/s vs bare Fastify route`, value: Math.round(cached.requestsPerSecond), baseline: Math.round(bare.requestsPerSecond), ratio: r3(num(result.ratio)), bar: '>= 0.8' },
    ...(typeof result.cpuRatio === 'number' ? [{ figure: `${label}: CPU per request, bare / decision`, value: '', baseline: '', ratio: r3(result.cpuRatio), bar: '>= 0.8' }] : []),
  ];
}

const HOT_ENV = { BENCH_DURATION: '10', BENCH_ROUNDS: '5', BENCH_WARMUP: '3' };
const HOT_QUICK = { BENCH_DURATION: '3', BENCH_ROUNDS: '2', BENCH_WARMUP: '1' };
const WRK_NOT_QUICK = 'the wrk runs repeat the autocannon ones with another client';
const LDAP_QUICK = { BENCH_ROUNDS: '4', BENCH_SECONDS: '0.5', BENCH_DEVICES: '1000' };

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'hot-path',
    means:
      'cached decisions (thumbprint, then certificate presentations) over HTTP vs a bare Fastify route answering the same body, with autocannon and then wrk; then once with the audit log written as serve writes it by default (stdout, a pipe); alternating rounds, target and client pinned to a core each',
    steps: [
      // The decision path against the bare route, which logs nothing: the audit log left out here, measured on its own below.
      { script: 'http/run.ts', env: { ...HOT_ENV, BENCH_AUDIT: 'off', BENCH_RESULT_NAME: 'hot-path-thumbprint' }, quickEnv: HOT_QUICK, result: 'hot-path-thumbprint' },
      { script: 'http/run.ts', env: { ...HOT_ENV, BENCH_AUDIT: 'off', BENCH_PRESENTATION: 'certificate', BENCH_RESULT_NAME: 'hot-path-certificate' }, quickEnv: HOT_QUICK, result: 'hot-path-certificate' },
      // The same two with Debian's wrk (C), in case autocannon is slower than the server (apt-get install wrk).
      { script: 'http/run.ts', env: { ...HOT_ENV, BENCH_AUDIT: 'off', BENCH_CLIENT: 'wrk', BENCH_RESULT_NAME: 'hot-path-thumbprint-wrk' }, result: 'hot-path-thumbprint-wrk', notInQuick: WRK_NOT_QUICK },
      { script: 'http/run.ts', env: { ...HOT_ENV, BENCH_AUDIT: 'off', BENCH_CLIENT: 'wrk', BENCH_PRESENTATION: 'certificate', BENCH_RESULT_NAME: 'hot-path-certificate-wrk' }, result: 'hot-path-certificate-wrk', notInQuick: WRK_NOT_QUICK },
      // As `serve` runs by default: one audit line per decision on stdout, read by another process.
      { script: 'http/run.ts', env: { ...HOT_ENV, BENCH_RESULT_NAME: 'hot-path-thumbprint-audit' }, result: 'hot-path-thumbprint-audit', notInQuick: 'the audit log row repeats the thumbprint row with the audit log on' },
    ],
    headline: (r) => [
      ...http(r['hot-path-thumbprint'], 'thumbprint'),
      ...http(r['hot-path-certificate'], 'certificate'),
      ...http(r['hot-path-thumbprint-wrk'], 'thumbprint, wrk'),
      ...http(r['hot-path-certificate-wrk'], 'certificate, wrk'),
      ...http(r['hot-path-thumbprint-audit'], 'thumbprint, audit log on (stdout pipe)').map((h) => ({ ...h, bar: '' })),
    ],
  },
  {
    name: 'cold-path',
    means: 'uncached decisions (LDAP backend, cache off) and bare look-ups vs a raw ldapts search loop, same slapd, same connections',
    steps: [
      { script: 'decision/run.ts', quickEnv: LDAP_QUICK, result: 'decision' },
      { script: 'lookup/run.ts', quickEnv: LDAP_QUICK, result: 'lookup' },
    ],
    headline: (r) => [
      ...(r.decision ? [{ figure: 'uncached decisions/s vs raw ldapts searches/s', value: num(r.decision.decisionsPerSecond), baseline: num(r.decision.rawLdaptsSearchesPerSecond), ratio: num(r.decision.ratio), bar: '>= 0.7' }] : []),
      ...(r.lookup ? [{ figure: 'devicegate look-ups/s vs raw ldapts searches/s', value: num(r.lookup.devicegateSearchesPerSecond), baseline: num(r.lookup.rawLdaptsSearchesPerSecond), ratio: num(r.lookup.ratio), bar: '>= 0.9' }] : []),
    ],
  },
  {
    name: 'herd',
    means: '1,000 concurrent cold requests over 10 devices: LDAP searches the server counted vs distinct devices (single-flight), and vs one search per request (a cache without single-flight)',
    steps: [{ script: 'herd/run.ts', result: 'herd' }],
    headline: (r) =>
      r.herd
        ? [
            { figure: 'LDAP searches per distinct device (cache on)', value: num(r.herd.searchesCacheOn), baseline: num(r.herd.distinctDevices), ratio: r3(num(r.herd.searchesCacheOn) / num(r.herd.distinctDevices)), bar: '= 1' },
            { figure: 'LDAP searches, cache on / one per request', value: num(r.herd.searchesCacheOn), baseline: num(r.herd.searchesCacheOff), ratio: r3(num(r.herd.searchesCacheOn) / num(r.herd.searchesCacheOff)) },
          ]
        : [],
  },
  {
    name: 'rules',
    means: 'rule evaluation per decision (8 rules, 16 claims; and rotating over 12 relying parties) vs touching the 16 input claims once',
    steps: [{ script: 'language/run.ts', quickEnv: { BENCH_TIME_MS: '400' }, result: 'language' }],
    headline: (r) =>
      r.language
        ? [
            { figure: 'ns per decision (median) vs trivial baseline', value: Math.round(num(r.language.decisionMedianUs) * 1000), baseline: Math.round(num(r.language.baselineMedianUs) * 1000), ratio: r3(num(r.language.decisionMedianUs) / num(r.language.baselineMedianUs)) },
            { figure: 'ns per decision over 12 RPs (median) vs one RP', value: Math.round(num(r.language.mixedDecisionMedianUs) * 1000), baseline: Math.round(num(r.language.decisionMedianUs) * 1000), ratio: r3(num(r.language.mixedDecisionMedianUs) / num(r.language.decisionMedianUs)) },
          ]
        : [],
  },
  {
    name: 'mixed',
    means: 'Zipf(1) over 100k devices in slapd at a fixed offered rate, driven by `devicegate loadtest` (open loop): cache hit ratio and p99, vs the same rate on one cached device',
    steps: [{ script: 'mixed/run.ts', env: { BENCH_DEVICES: '100000' }, quickEnv: { BENCH_DEVICES: '5000', BENCH_SECONDS: '3', BENCH_RATE: '400' }, result: 'mixed' }],
    headline: (r) =>
      r.mixed
        ? [
            { figure: 'cache hit ratio (hits / look-ups)', value: num(r.mixed.hits), baseline: num(r.mixed.hits) + num(r.mixed.misses), ratio: num(r.mixed.hitRatio) },
            { figure: 'p99 ms, Zipf population vs one cached device', value: num(r.mixed.p99Ms), baseline: num(r.mixed.baselineP99Ms), ratio: r3(num(r.mixed.p99Ms) / num(r.mixed.baselineP99Ms)) },
          ]
        : [],
  },
  {
    name: 'memory',
    means: 'heap bytes per cached device at 100k and 1M entries vs the same decoded records held in a plain array',
    steps: [{ script: 'memory/run.ts', quickEnv: { BENCH_SIZES: '100000' }, result: 'memory' }],
    headline: (r) =>
      ((r.memory?.sizes as { entries: number; cachedBytesPerDevice: number; plainBytesPerDevice: number }[] | undefined) ?? []).map((s) => ({
        figure: `heap bytes per cached device, ${s.entries.toLocaleString('en')} entries`,
        value: Math.round(s.cachedBytesPerDevice),
        baseline: Math.round(s.plainBytesPerDevice),
        ratio: r3(s.cachedBytesPerDevice / s.plainBytesPerDevice),
      })),
  },
  {
    name: 'samba',
    means: 'cold path against a Samba AD DC: devicegate look-ups vs a raw ldapts search loop on the same DC',
    notInQuick: 'provisioning a Samba AD DC takes longer than the quick budget',
    steps: [{ script: 'samba/run.ts', result: 'samba' }],
    headline: (r) =>
      r.samba
        ? [{ figure: 'devicegate look-ups/s vs raw ldapts searches/s (Samba AD)', value: num(r.samba.devicegateSearchesPerSecond), baseline: num(r.samba.rawLdaptsSearchesPerSecond), ratio: num(r.samba.ratio), bar: '>= 0.9' }]
        : [],
  },
  {
    name: 'freshness',
    means: 'revocation: time from disabling a cached device in slapd / Samba AD to its deny at default settings (change tracking), vs the 5 s bound; failover: false denies and p99 with the first of two DCs frozen',
    notInQuick: 'each revocation sample waits for a change poll; Samba is provisioned',
    steps: [{ script: 'freshness/run.ts', result: 'freshness' }],
    headline: (r) => {
      const f = r.freshness as Record<string, { medianMs?: number; maxMs?: number; falseDenies?: number; p99Ms?: number; decisions?: number }> | undefined;
      if (!f) return [];
      const rows: Headline[] = [];
      for (const name of ['revocation-slapd', 'revocation-samba']) {
        const row = f[name];
        if (row?.maxMs !== undefined) rows.push({ figure: `${name}: worst disable -> deny, ms, vs the 5 s bound`, value: row.maxMs, baseline: 5000, ratio: r3(row.maxMs / 5000), bar: '<= 1' });
      }
      if (f.failover?.decisions !== undefined) rows.push({ figure: 'first DC frozen: false denies / decisions', value: num(f.failover.falseDenies), baseline: num(f.failover.decisions), ratio: r3(num(f.failover.falseDenies) / num(f.failover.decisions)), bar: '= 0' });
      return rows;
    },
  },
  {
    name: 'adfs-store',
    means: 'AD FS attribute-store queries (decision and device verbs, cached device) over HTTP vs cached /v1/decisions, same process and run',
    steps: [{ script: 'adfs-store/run.ts', quickEnv: { BENCH_DURATION: '3', BENCH_ROUNDS: '1', BENCH_WARMUP: '1' }, result: 'adfs-store' }],
    headline: (r) => {
      const a = r['adfs-store'] as Record<string, { requestsPerSecond?: number; latencyP99Ms?: number; ratioToDecisions?: number }> | undefined;
      if (!a?.decisions) return [];
      return (['storeDecision', 'storeDevice'] as const)
        .filter((k) => a[k]?.requestsPerSecond !== undefined)
        .map((k) => ({ figure: `${k}: req/s vs /v1/decisions (p99 ${a[k]!.latencyP99Ms?.toFixed(1)} ms)`, value: Math.round(num(a[k]!.requestsPerSecond)), baseline: Math.round(num(a.decisions!.requestsPerSecond)), ratio: r3(num(a[k]!.ratioToDecisions)) }));
    },
  },
  {
    name: 'inventory',
    means: '`devicegate inventory` over a generated forest (N devices + N users with WHfB keys) in slapd vs a raw ldapts paged pass over the same entries: seconds and peak RSS',
    notInQuick: 'loading the forest into slapd takes minutes at 100k',
    steps: [{ script: 'inventory/run.ts', env: { BENCH_INVENTORY_SIZES: '100000' }, result: 'inventory' }],
    headline: (r) =>
      ((r.inventory?.rows as { devices: number; inventorySeconds: number; rawSeconds: number; timeRatio: number; inventoryMaxRssMiB: number; rawMaxRssMiB: number }[] | undefined) ?? []).flatMap((row) => [
        { figure: `inventory seconds, ${row.devices.toLocaleString('en')} devices + users`, value: row.inventorySeconds, baseline: row.rawSeconds, ratio: row.timeRatio },
        { figure: `inventory peak RSS MiB, ${row.devices.toLocaleString('en')} devices + users`, value: row.inventoryMaxRssMiB, baseline: row.rawMaxRssMiB, ratio: r3(row.inventoryMaxRssMiB / row.rawMaxRssMiB) },
      ]),
  },
  {
    name: 'attack',
    means: 'bounded work under hostile load (bench/attack): attack requests permitted (must be 0), crashed or stalled phases, ordinary client p99 per phase vs its idle baseline',
    optional: true,
    notInQuick: 'each phase runs 10 s against a serve child, plus floods',
    steps: [{ script: 'attack/run.ts', result: 'attack' }],
    headline: (r) => {
      const a = r.attack as { verdict?: { permittedAttackRequests?: number; crashedOrStalled?: unknown[] }; phases?: { name: string; ordinary?: { p99Ms?: number } }[] } | undefined;
      if (!a?.phases) return [];
      const base = a.phases.find((p) => p.name === 'baseline')?.ordinary?.p99Ms ?? Number.NaN;
      return [
        { figure: 'attack requests permitted', value: num(a.verdict?.permittedAttackRequests), baseline: 0, ratio: num(a.verdict?.permittedAttackRequests), bar: '= 0' },
        { figure: 'phases crashed or stalled', value: a.verdict?.crashedOrStalled?.length ?? 0, baseline: a.phases.length, ratio: (a.verdict?.crashedOrStalled?.length ?? 0) / a.phases.length, bar: '= 0' },
        ...a.phases
          .filter((p) => p.name !== 'baseline' && p.ordinary?.p99Ms !== undefined)
          .map((p) => ({ figure: `${p.name}: ordinary client p99 ms vs idle baseline`, value: num(p.ordinary!.p99Ms), baseline: base, ratio: r3(num(p.ordinary!.p99Ms) / base) })),
      ];
    },
  },
];
