import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { openDirectory, parseLdapUrls } from '../../directory/index.js';
import {
  HttpTarget,
  LdapTarget,
  LoadtestError,
  Workload,
  formatTable,
  htmlReport,
  readPopulationFile,
  runLoad,
  samplePopulation,
  summarize,
  type LoadMode,
  type LoadTarget,
  type PopulationDevice,
  type PresentationMode,
  type Progress,
} from '../../loadtest/index.js';
import { parseCommandArgs } from '../args.js';
import { directoryOptionsFromFlags, LDAP_CONNECTION_OPTIONS } from '../directory-flags.js';
import { EXIT_OK, RejectedInputError, UsageError, type CliIO, type Command } from '../io.js';

const HELP = `Usage: devicegate loadtest --target URL (--rate N | --connections N) [options]

Load-tests a devicegate deployment (http/https: POST /v1/decisions) or the domain controllers
themselves (ldap/ldaps: the device look-ups devicegate and AD FS make, one search per request).

Target:
  --target URL        http(s)://host:port of devicegate, or ldap(s)://dc1[,ldap(s)://dc2...]
  --token T           bearer token for http targets (or DEVICEGATE_TOKEN)
  --rp ID             relying party for http targets (repeatable, used in turn;
                      default: every enabled one from GET /v1/relying-parties)
  --bind-dn DN        LDAP bind DN (or DEVICEGATE_LDAP_BIND_DN)
  --password PW       LDAP bind password (or DEVICEGATE_LDAP_PASSWORD)
  --base-dn DN        domain DN (default: from the RootDSE)
  --ca-file F         CA certificates (PEM) for https/ldaps/StartTLS
  --start-tls         StartTLS on ldap:// targets
  --tls-insecure      do not check the target's TLS certificate (labs only)
Devices:
  --devices F         the fixtures' devices.json, or JSON lines of presentations
                      ({"thumbprint"|"certificate"|"deviceId": ...} or whole request bodies)
  --from-directory D  sample real device objects (a paged search) from ldap(s)://... or ldif:PATH
                      (with the --bind-dn/--password above)
  --sample N          devices to sample with --from-directory (default 100000)
  --zipf S            popularity follows Zipf's law with exponent S (default 1; 0 = uniform)
  --unknown-share P   share of requests for made-up devices no directory holds (0-1, default 0)
  --presentation K    certificate|thumbprint|deviceId|mixed (default thumbprint)
  --seed N            seed of the request sequence (default 1)
Load:
  --rate N            open loop: N requests/s started on schedule, latency from the scheduled
                      start (so stalls are not hidden: no coordinated omission)
  --connections N     closed loop: N connections, each sends when its last answer came back
  --max-connections N open loop: keep-alive connections to open at most (default 64)
  --duration S        measured seconds (default 10)
  --warmup S          seconds of load before measuring (default 0)
  --timeout MS        per-request timeout (default 10000)
Output:
  --json              print the report as one JSON object (requests, durationSeconds, achievedRate,
                      latencyMs {p50,p90,p99,p999,max}, decisions | lookups, errors, timeline ...)
  --out F.json        also write that JSON to a file
  --html F.html       write a self-contained report (latency over time, percentile distribution)

Live progress goes to stderr on a TTY. Exit codes: 0 the run finished (errors are counted in the
report), 1 rejected input (population, target), 2 usage error.
`;

const OPTIONS = {
  target: { type: 'string' },
  token: { type: 'string' },
  rp: { type: 'string', multiple: true },
  ...LDAP_CONNECTION_OPTIONS,
  devices: { type: 'string' },
  'from-directory': { type: 'string' },
  sample: { type: 'string' },
  zipf: { type: 'string' },
  'unknown-share': { type: 'string' },
  presentation: { type: 'string' },
  seed: { type: 'string' },
  rate: { type: 'string' },
  connections: { type: 'string' },
  'max-connections': { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  html: { type: 'string' },
} as const;

const PRESENTATIONS = new Set<PresentationMode>(['certificate', 'thumbprint', 'deviceId', 'mixed']);

function number(flag: string, text: string | undefined, fallback: number, check: (n: number) => boolean, what: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${flag} must be ${what}, got "${text}"`);
  return n;
}

const positive = (n: number): boolean => n > 0;
const positiveInt = (n: number): boolean => Number.isInteger(n) && n > 0;

export async function runLoadtest(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(argv, OPTIONS);
  if (values.target === undefined) throw new UsageError('--target is required');
  if ((values.rate === undefined) === (values.connections === undefined)) throw new UsageError('give exactly one of --rate (open loop) or --connections (closed loop)');
  if (values.devices !== undefined && values['from-directory'] !== undefined) throw new UsageError('--devices and --from-directory go alone');
  const mode: LoadMode =
    values.rate !== undefined
      ? { kind: 'open', rate: number('rate', values.rate, 0, positive, 'a positive number of requests per second') }
      : { kind: 'closed', connections: number('connections', values.connections, 0, (n) => positiveInt(n) && n <= 10_000, 'an integer from 1 to 10000') };
  const durationSeconds = number('duration', values.duration, 10, positive, 'a positive number of seconds');
  const warmupSeconds = number('warmup', values.warmup, 0, (n) => n >= 0, 'a number of seconds >= 0');
  const timeoutMs = number('timeout', values.timeout, 10_000, positiveInt, 'a positive number of milliseconds');
  const zipf = number('zipf', values.zipf, 1, (n) => n >= 0 && n <= 10, 'a number from 0 to 10');
  const unknownShare = number('unknown-share', values['unknown-share'], 0, (n) => n >= 0 && n <= 1, 'a share from 0 to 1');
  const seed = number('seed', values.seed, 1, Number.isInteger, 'an integer');
  const sample = number('sample', values.sample, 100_000, positiveInt, 'a positive integer');
  const maxConnections = number('max-connections', values['max-connections'], 64, (n) => positiveInt(n) && n <= 10_000, 'an integer from 1 to 10000');
  const presentation = (values.presentation ?? 'thumbprint') as PresentationMode;
  if (!PRESENTATIONS.has(presentation)) throw new UsageError(`--presentation must be one of ${[...PRESENTATIONS].join(', ')}`);

  const targetUrl = values.target.trim();
  const isHttp = /^https?:\/\//i.test(targetUrl);
  const isLdap = /^ldaps?:\/\//i.test(targetUrl);
  if (!isHttp && !isLdap) throw new UsageError('--target must be http(s)://... (devicegate) or ldap(s)://... (domain controllers)');
  if (isLdap && values.rp !== undefined) throw new UsageError('--rp is for http targets');
  const directoryFlags = {
    'bind-dn': values['bind-dn'],
    password: values.password,
    'base-dn': values['base-dn'],
    'ca-file': values['ca-file'],
    'start-tls': values['start-tls'],
    'tls-insecure': values['tls-insecure'],
  };

  // The population.
  let population: PopulationDevice[];
  let populationSource: string;
  if (values['from-directory'] !== undefined) {
    const source = await openDirectory({ ...directoryOptionsFromFlags({ ...directoryFlags, directory: values['from-directory'] }, io), timeoutMs: 300_000 });
    try {
      population = await samplePopulation(source, sample);
    } finally {
      await source.close();
    }
    populationSource = `sample of ${source.description}`;
  } else if (values.devices !== undefined) {
    population = await readPopulationFile(values.devices, io.cwd);
    populationSource = values.devices;
  } else {
    throw new UsageError('give the devices: --devices F or --from-directory D');
  }

  // The target.
  const connections = mode.kind === 'closed' ? mode.connections : maxConnections;
  let target: LoadTarget;
  let relyingParties: string[] = [];
  let shownTarget: string;
  if (isHttp) {
    const token = values.token ?? io.env.DEVICEGATE_TOKEN;
    const http = await HttpTarget.open({
      url: targetUrl,
      connections,
      timeoutMs,
      ...(token !== undefined ? { token } : {}),
      ...(values['ca-file'] !== undefined ? { caFile: resolve(io.cwd, values['ca-file']) } : {}),
      ...(values['tls-insecure'] === true ? { tlsInsecure: true } : {}),
    });
    target = http;
    try {
      relyingParties = values.rp ?? (await http.relyingParties());
    } catch (error) {
      await http.close();
      throw error;
    }
    const u = new URL(targetUrl);
    shownTarget = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  } else {
    let urls: string[];
    try {
      urls = parseLdapUrls(targetUrl);
    } catch (error) {
      throw new LoadtestError('DG_ERR_LOADTEST_TARGET', (error as Error).message);
    }
    const directory = await openDirectory({ ...directoryOptionsFromFlags({ ...directoryFlags, directory: targetUrl }, io), poolSize: Math.min(64, connections), timeoutMs });
    target = new LdapTarget(directory);
    shownTarget = urls.join(',');
  }

  let workload: Workload;
  try {
    workload = new Workload({ population, zipf, unknownShare, presentation, relyingParties, seed });
  } catch (error) {
    await target.close();
    throw error;
  }

  const tty = io.stderr.isTTY === true;
  const onProgress = tty
    ? (p: Progress): void => {
        io.stderr.write(
          `\r\x1b[K${p.phase} ${p.elapsedSeconds.toFixed(0)}s  ${p.rate.toFixed(0)} req/s  p99 ${p.p99Ms.toFixed(2)} ms  errors ${p.errors}  in flight ${p.inFlight}`,
        );
      }
    : undefined;
  let result;
  try {
    result = await runLoad({
      target,
      next: () => workload.next(),
      mode,
      durationSeconds,
      warmupSeconds,
      ...(onProgress ? { onProgress } : {}),
    });
  } finally {
    if (tty) io.stderr.write('\r\x1b[K');
    await target.close();
  }
  const summary = summarize(result, {
    target: shownTarget,
    targetKind: isHttp ? 'http' : 'ldap',
    mode,
    durationSeconds,
    warmupSeconds,
    presentation,
    zipf,
    unknownShare,
    population: workload.devices.length,
    populationSource,
    relyingParties,
    seed,
  });
  const json = `${JSON.stringify(summary)}\n`;
  const write = async (file: string, text: string, flag: string): Promise<void> => {
    try {
      await writeFile(resolve(io.cwd, file), text);
    } catch (error) {
      throw new RejectedInputError(`${flag} ${file}: cannot write (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  if (values.out !== undefined) await write(values.out, json, '--out');
  if (values.html !== undefined) await write(values.html, htmlReport(summary), '--html');
  io.stdout.write(values.json === true ? json : formatTable(summary));
  return EXIT_OK;
}

export const loadtestCommand: Command = {
  name: 'loadtest',
  summary: 'load-test a devicegate deployment (http) or the domain controllers (ldap)',
  help: HELP,
  run: runLoadtest,
};
