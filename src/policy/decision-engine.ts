import { createCachedDirectory, type CachedDeviceDirectory, type DeviceCacheOptions } from '../cache/index.js';
import { normalizeDeviceId, normalizeThumbprint } from '../certificate/index.js';
import { DEVICE_CLAIM_TYPES, REQUEST_CLAIM_TYPES, type Claim } from '../claims/index.js';
import type { DeviceDirectory } from '../directory/index.js';
import type { AttributeStore } from '../language/index.js';
import { parseSamlToken } from '../saml/index.js';
import { createActiveDirectoryStore } from './active-directory-store.js';
import type { Decision, DecisionEngine, DecisionRequest, DeviceDescription, DevicePresentation, RelyingPartySummary, ResolvedDevice } from './decision-types.js';
import { DeviceResolver, type Logger } from './device-resolver.js';
import { PolicyError } from './errors.js';
import { runPipeline, runPipelineNow } from './pipeline.js';
import { loadRegistry, type Registry } from './registry.js';
import { blockedOutcome, storesWithSkipped } from './store-availability.js';
import { watchRules } from './rules-watcher.js';

export interface DecisionEngineOptions {
  readonly rulesDir: string;
  readonly directory: DeviceDirectory;
  /** Device cache settings; false = no caching (single-flight only). */
  readonly cache?: DeviceCacheOptions | false;
  readonly now?: () => Date;
  /** pino-like; warnings once at start (name-only issuer checks), reload failures. */
  readonly logger?: Logger;
  /** Watch rules/ and reload on change (debounced). Default false. */
  readonly watch?: boolean;
  /** Close the directory when the engine closes (default false: whoever opened it closes it). */
  readonly ownsDirectory?: boolean;
  /** Base for a relative rulesDir and for paths in diagnostics (default process.cwd()). */
  readonly cwd?: string;
  readonly lenient?: boolean;
  /** Log rules/ load-time warnings (stores devicegate cannot serve) at start and on reload (default true). */
  readonly logRuleWarnings?: boolean;
}

const SILENT: Logger = { warn: () => undefined, info: () => undefined, error: () => undefined };

// Device claims only ever come from the directory: a caller cannot assert its own device is compliant.
const DEVICE_TYPES = new Set(Object.values(DEVICE_CLAIM_TYPES).map((t) => t.toLowerCase()));
const T_PRIMARY_SID = REQUEST_CLAIM_TYPES.primarySid.toLowerCase();

const NO_CALLER_CLAIMS: { claims: readonly Claim[]; primarySid?: string } = Object.freeze({ claims: Object.freeze([]) as readonly Claim[] });
// Only types of these lengths can match (case-insensitively): skips lower-casing every other claim's type.
const WATCHED_LENGTHS = new Set([...DEVICE_TYPES, T_PRIMARY_SID].map((t) => t.length));

function callerClaims(claims: readonly Claim[] | undefined): { claims: readonly Claim[]; primarySid?: string } {
  if (claims === undefined || claims.length === 0) return NO_CALLER_CLAIMS;
  let primarySid: string | undefined;
  let dropped = false;
  for (const c of claims) {
    if (!WATCHED_LENGTHS.has(c.type.length)) continue;
    const t = c.type.toLowerCase();
    if (DEVICE_TYPES.has(t)) dropped = true;
    else if (primarySid === undefined && t === T_PRIMARY_SID) primarySid = c.value;
  }
  const kept = dropped ? claims.filter((c) => !DEVICE_TYPES.has(c.type.toLowerCase())) : claims;
  return primarySid !== undefined ? { claims: kept, primarySid } : { claims: kept };
}

type DeviceView = Decision['device'];

/** The device as a decision shows it (key order = the HTTP response schema). */
function deviceViewOf(device: ResolvedDevice): DeviceView {
  return {
    status: device.status,
    ...(device.id !== undefined ? { id: device.id } : {}),
    ...(device.displayName !== undefined ? { displayName: device.displayName } : {}),
    ...(device.trustType !== undefined ? { trustType: device.trustType } : {}),
    ...(device.managed !== undefined ? { managed: device.managed } : {}),
    ...(device.compliant !== undefined ? { compliant: device.compliant } : {}),
    source: device.source,
  };
}

// Shared (frozen) resolutions come back for every cached decision: their views are made once.
const sharedViews = new WeakMap<ResolvedDevice, DeviceView>();

function deviceView(device: ResolvedDevice): DeviceView {
  if (!Object.isFrozen(device)) return deviceViewOf(device);
  let view = sharedViews.get(device);
  if (view === undefined) sharedViews.set(device, (view = Object.freeze(deviceViewOf(device))));
  return view;
}

const partyViews = new WeakMap<RelyingPartySummary, Decision['relyingParty']>();

function relyingPartyView(summary: RelyingPartySummary): Decision['relyingParty'] {
  let view = partyViews.get(summary);
  if (view === undefined) partyViews.set(summary, (view = Object.freeze({ id: summary.id, name: summary.name })));
  return view;
}

/** Caller claims then device claims, without copying when either is empty. */
function inputClaims(caller: readonly Claim[], device: readonly Claim[]): readonly Claim[] {
  if (device.length === 0) return caller;
  if (caller.length === 0) return device;
  return caller.concat(device);
}

/** The caller's claims plus the verified SAML token's (SamlError, 400, on any problem with the token). */
function withSamlClaims(registry: Registry, audience: readonly string[], token: string, at: Date, claims: readonly Claim[] | undefined): readonly Claim[] {
  const saml = parseSamlToken(token, { trustedSigners: registry.samlTrustedSigners ?? [], now: at, audience });
  return claims === undefined || claims.length === 0 ? saml.claims : [...claims, ...saml.claims];
}

class Engine implements DecisionEngine {
  #registry: Registry;
  readonly #options: DecisionEngineOptions;
  readonly #directory: CachedDeviceDirectory;
  readonly #resolver: DeviceResolver;
  readonly #stores: Readonly<Record<string, AttributeStore>>;
  readonly #logger: Logger;
  readonly #now: () => Date;
  #watcher: { close(): void } | undefined;
  #reloading: Promise<{ revision: string; changed: boolean }> | undefined;
  #closed = false;

  constructor(registry: Registry, options: DecisionEngineOptions, directory: CachedDeviceDirectory) {
    this.#registry = registry;
    this.#options = options;
    this.#directory = directory;
    this.#logger = options.logger ?? SILENT;
    this.#now = options.now ?? (() => new Date());
    this.#resolver = new DeviceResolver({ directory, logger: this.#logger }, registry.farm, registry.trustedIssuerCertificates);
    this.#stores = { 'Active Directory': createActiveDirectoryStore(options.directory) };
    if (options.logRuleWarnings !== false) for (const w of registry.warnings) this.#logger.warn(w);
    if (options.watch === true) {
      this.#watcher = watchRules(registry.rulesDir, () => {
        this.reload().then(
          (r) => {
            if (r.changed) this.#logger.info(`rules reloaded: revision ${r.revision}`);
          },
          (error: unknown) => this.#logger.error(`rules reload failed, keeping revision ${this.#registry.revision}: ${(error as Error).message}`),
        );
      });
    }
  }

  get revision(): string {
    return this.#registry.revision;
  }

  get directory(): CachedDeviceDirectory {
    return this.#directory;
  }

  /** Warm-up: builds the issuer trust once so the name-only warning is logged at start. */
  async prepare(): Promise<void> {
    try {
      await this.#resolver.trust();
    } catch {
      // directory down at start: retried on the first certificate
    }
  }

  async decide(request: DecisionRequest): Promise<Decision> {
    if (this.#closed) throw new PolicyError('DG_ERR_POLICY_CLOSED', 'the decision engine is closed');
    const registry = this.#registry;
    if (typeof request.relyingParty !== 'string' || request.relyingParty === '') {
      throw new PolicyError('DG_ERR_POLICY_BAD_REQUEST', 'relyingParty must be a relying party identifier', 'relyingParty');
    }
    const rp = registry.byIdentifier.get(request.relyingParty);
    if (rp === undefined) throw new PolicyError('DG_ERR_POLICY_UNKNOWN_RELYING_PARTY', `no relying party has the identifier "${request.relyingParty}"`, 'relyingParty');
    const at = request.at ?? this.#now();
    const caller = callerClaims(request.samlToken === undefined ? request.claims : withSamlClaims(registry, rp.summary.identifiers, request.samlToken, at, request.claims));
    const resolving = this.#resolver.resolve(request.device, { at, primarySid: caller.primarySid });
    // A fresh cache hit resolves synchronously; only a directory search is awaited.
    const device = resolving instanceof Promise ? await resolving : resolving;
    const view = deviceView(device);
    const relyingParty = relyingPartyView(rp.summary);
    if (!rp.summary.enabled) {
      return {
        decision: 'deny',
        relyingParty,
        device: view,
        reason: { code: 'relying_party_disabled', message: `relying party "${rp.summary.name}" is disabled` },
        policyRevision: registry.revision,
      };
    }
    const input = inputClaims(caller.claims, device.claims);
    const explain = request.explain === true;
    const stores = storesWithSkipped(registry, this.#stores, registry.unavailableStores);
    const pipelineOptions = { explain, includeIssuedClaims: request.includeIssuedClaims === true, stores };
    // A relying party whose decision rules call a store devicegate cannot serve denies (store-availability.ts).
    const result = blockedOutcome(rp.storeGaps, explain, request.includeIssuedClaims === true) ?? runPipelineNow(registry, rp, input, pipelineOptions) ?? (await runPipeline(registry, rp, input, pipelineOptions));
    const trace = result.trace;
    const skipped = rp.storeGaps !== undefined && (trace !== undefined || result.issuedClaims !== undefined) ? rp.storeGaps.skippedIssuance : [];
    if (trace !== undefined) for (const s of skipped) trace.push({ stage: 'issuance', rule: s.rule, fired: false, note: s.note });
    const notes = skipped.length > 0 ? skipped.map((s) => s.note) : undefined;
    if (trace !== undefined) {
      trace.unshift({
        stage: 'device',
        rule: 'device',
        fired: device.status === 'known',
        note: `status ${device.status} (source ${device.source})${device.detail !== undefined ? `: ${device.detail}` : ''}`,
        ...(device.claims.length > 0 ? { produced: device.claims } : {}),
      });
    }
    if (rp.summary.mode === 'reportOnly') {
      // Key order follows the HTTP response schema, so `decide --json` prints the same bytes.
      return {
        decision: 'permit',
        relyingParty,
        device: view,
        reason: {
          code: 'report_only',
          ...(result.reason.rule !== undefined ? { rule: result.reason.rule } : {}),
          message: `report-only relying party: enforcement would answer ${result.decision} (${result.reason.message})`,
        },
        policyRevision: registry.revision,
        enforcement: { mode: 'reportOnly', decision: result.decision, reason: result.reason },
        ...(trace !== undefined ? { trace } : {}),
        ...(result.issuedClaims !== undefined ? { issuedClaims: result.issuedClaims } : {}),
        ...(notes !== undefined ? { notes } : {}),
      };
    }
    if (trace === undefined && result.issuedClaims === undefined) {
      return { decision: result.decision, relyingParty, device: view, reason: result.reason, policyRevision: registry.revision };
    }
    return {
      decision: result.decision,
      relyingParty,
      device: view,
      reason: result.reason,
      policyRevision: registry.revision,
      ...(trace !== undefined ? { trace } : {}),
      ...(result.issuedClaims !== undefined ? { issuedClaims: result.issuedClaims } : {}),
      ...(notes !== undefined ? { notes } : {}),
    };
  }

  async describeDevice(device: DevicePresentation, options: { primarySid?: string; at?: Date } = {}): Promise<DeviceDescription> {
    if (this.#closed) throw new PolicyError('DG_ERR_POLICY_CLOSED', 'the decision engine is closed');
    if (device === undefined || device === null) throw new PolicyError('DG_ERR_POLICY_BAD_REQUEST', 'a device is required', 'device');
    const r = await this.#resolver.resolve(device, { at: options.at ?? this.#now(), primarySid: options.primarySid });
    return {
      status: r.status,
      source: r.source,
      ...(r.record !== undefined ? { record: r.record } : {}),
      claims: r.claims,
      ...(r.detail !== undefined ? { detail: r.detail } : {}),
    };
  }

  relyingParties(): readonly RelyingPartySummary[] {
    return this.#registry.relyingParties.map((rp) => rp.summary);
  }

  reload(): Promise<{ readonly revision: string; readonly changed: boolean }> {
    // One reload at a time; a second caller shares the one in progress.
    this.#reloading ??= (async () => {
      try {
        const next = await loadRegistry(this.#options.rulesDir, { cwd: this.#options.cwd ?? process.cwd(), lenient: this.#options.lenient ?? false });
        const changed = next.revision !== this.#registry.revision;
        if (changed) {
          if (this.#options.logRuleWarnings !== false) for (const w of next.warnings) this.#logger.warn(w);
          this.#registry = next;
          this.#resolver.update(next.farm, next.trustedIssuerCertificates);
        }
        return { revision: next.revision, changed };
      } finally {
        this.#reloading = undefined;
      }
    })();
    return this.#reloading;
  }

  purgeCache(key?: string): number {
    if (key === undefined) return this.#directory.purge();
    const k = key.trim();
    for (const normalize of [normalizeThumbprint, normalizeDeviceId]) {
      try {
        return this.#directory.purge(normalize(k));
      } catch {
        // not that kind of key
      }
    }
    return this.#directory.purge(k);
  }

  async readiness(): Promise<{ readonly ok: boolean; readonly rules: boolean; readonly directory: import('../directory/index.js').DirectoryHealth }> {
    const directory = await this.#directory.health().catch(
      (error: unknown) => ({ ok: false, backend: this.#directory.backend, detail: (error as { code?: string }).code ?? 'health check failed' }) as const,
    );
    return { ok: directory.ok && !this.#closed, rules: true, directory };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#watcher?.close();
    if (this.#options.ownsDirectory === true) await this.#options.directory.close();
  }
}

export type DecisionEngineWithInternals = DecisionEngine & { readonly directory: CachedDeviceDirectory };

/** Loads rules/ (throws PolicyLoadError with every diagnostic) and returns the decision engine. */
export async function createDecisionEngine(options: DecisionEngineOptions): Promise<DecisionEngineWithInternals> {
  const registry = await loadRegistry(options.rulesDir, { cwd: options.cwd ?? process.cwd(), lenient: options.lenient ?? false });
  const cacheOptions: DeviceCacheOptions = options.cache === false ? { ttlMs: 0, negativeTtlMs: 0, staleIfErrorMs: 0 } : (options.cache ?? {});
  const directory = createCachedDirectory(options.directory, cacheOptions);
  const engine = new Engine(registry, options, directory);
  await engine.prepare();
  return engine;
}
