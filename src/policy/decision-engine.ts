import { createCachedDirectory, type CachedDeviceDirectory, type DeviceCacheOptions } from '../cache/index.js';
import { normalizeDeviceId, normalizeThumbprint } from '../certificate/index.js';
import type { Claim } from '../claims/index.js';
import type { DeviceDirectory } from '../directory/index.js';
import type { AttributeStore } from '../language/index.js';
import { parseSamlToken, ReplayCache, SamlError, type SamlToken } from '../saml/index.js';
import { createActiveDirectoryStore } from './active-directory-store.js';
import type { Decision, DecisionEngine, DecisionRequest, DeviceDescription, DevicePresentation, DeviceProof, RelyingPartySummary, ResolvedDevice, TraceEntry } from './decision-types.js';
import { DeviceResolver, type Logger } from './device-resolver.js';
import { PolicyError } from './errors.js';
import { runPipeline, runPipelineNow, type PipelineResult } from './pipeline.js';
import { loadRegistry, type LoadedRelyingParty, type Registry } from './registry.js';
import { blockedOutcome, storesWithSkipped } from './store-availability.js';
import { watchRules } from './rules-watcher.js';
import { screenCallerClaims, type ScreenedClaims } from './trust-boundary.js';

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
  /** Most entries one Active Directory attribute-store search may return (default 100); more fails that rule set closed. */
  readonly attributeStoreSizeLimit?: number;
  /** Log rules/ load-time warnings (stores devicegate cannot serve) at start and on reload (default true). */
  readonly logRuleWarnings?: boolean;
}

const SILENT: Logger = { warn: () => undefined, info: () => undefined, error: () => undefined };

type DeviceView = Decision['device'];

/** The device as a decision shows it (key order = the HTTP response schema). */
function deviceViewOf(device: ResolvedDevice, proof: DeviceProof | undefined): DeviceView {
  return {
    status: device.status,
    ...(device.id !== undefined ? { id: device.id } : {}),
    ...(device.displayName !== undefined ? { displayName: device.displayName } : {}),
    ...(device.trustType !== undefined ? { trustType: device.trustType } : {}),
    ...(device.managed !== undefined ? { managed: device.managed } : {}),
    ...(device.compliant !== undefined ? { compliant: device.compliant } : {}),
    source: device.source,
    ...(proof !== undefined ? { proof } : {}),
  };
}

// Shared (frozen) resolutions come back for every cached decision: their views are made once per proof.
const sharedViews = { certificate: new WeakMap<ResolvedDevice, DeviceView>(), identifier: new WeakMap<ResolvedDevice, DeviceView>(), none: new WeakMap<ResolvedDevice, DeviceView>() };

function deviceView(device: ResolvedDevice, proof: DeviceProof | undefined): DeviceView {
  if (!Object.isFrozen(device)) return deviceViewOf(device, proof);
  const views = sharedViews[proof ?? 'none'];
  let view = views.get(device);
  if (view === undefined) views.set(device, (view = Object.freeze(deviceViewOf(device, proof))));
  return view;
}

/** How the request identified its device (presentationToQuery has checked it names exactly one way). */
function proofOf(device: DevicePresentation | undefined): DeviceProof | undefined {
  if (device === undefined || device === null) return undefined;
  return (device as { certificate?: unknown }).certificate !== undefined ? 'certificate' : 'identifier';
}

/** The trace entry that shows what the trust boundary dropped (explain only). */
function boundaryTrace(screened: ScreenedClaims): TraceEntry {
  const types = [...new Set(screened.dropped.map((c) => c.type))];
  return {
    stage: 'caller_claims',
    rule: 'trust boundary',
    fired: true,
    note: `dropped ${screened.dropped.length} caller claim(s) of device-context or authorization types, which only the directory and the rules issue: ${types.join(', ')}`,
  };
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

/** The decision from the pipeline's result: trace notes, report-only wrapping, key order of the HTTP schema. */
function decisionOf(
  registry: Registry,
  rp: LoadedRelyingParty,
  caller: ScreenedClaims,
  device: ResolvedDevice,
  view: DeviceView,
  relyingParty: Decision['relyingParty'],
  result: PipelineResult,
): Decision {
  const trace = result.trace;
  const skipped = rp.storeGaps !== undefined && (trace !== undefined || result.issuedClaims !== undefined) ? rp.storeGaps.skippedIssuance : [];
  if (trace !== undefined) for (const s of skipped) trace.push({ stage: 'issuance', rule: s.rule, fired: false, note: s.note });
  const notes = skipped.length > 0 ? skipped.map((s) => s.note) : undefined;
  if (trace !== undefined) {
    if (caller.dropped.length > 0) trace.unshift(boundaryTrace(caller));
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
  if (trace === undefined && result.issuedClaims === undefined) return plainDecision(registry, view, relyingParty, result);
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

/**
 * A plain decision (no trace, claims or notes) of a cached device is the same for the same device
 * view, relying party view and pipeline outcome, all of them shared frozen objects: it is made once,
 * frozen and handed out again, so that the route can also serialize it once (decisions-route.ts).
 * Anything not shared (a directory answer, an MFA or fail-closed outcome) gets a fresh object.
 */
const plainDecisions = new WeakMap<DeviceView, WeakMap<Decision['relyingParty'], WeakMap<PipelineResult, Decision>>>();

function plainDecision(registry: Registry, view: DeviceView, relyingParty: Decision['relyingParty'], result: PipelineResult): Decision {
  const shared = Object.isFrozen(view) && Object.isFrozen(relyingParty) && Object.isFrozen(result) && Object.isFrozen(result.reason);
  if (!shared) return { decision: result.decision, relyingParty, device: view, reason: result.reason, policyRevision: registry.revision };
  let byParty = plainDecisions.get(view);
  if (byParty === undefined) plainDecisions.set(view, (byParty = new WeakMap()));
  let byResult = byParty.get(relyingParty);
  if (byResult === undefined) byParty.set(relyingParty, (byResult = new WeakMap()));
  let made = byResult.get(result);
  if (made === undefined || made.policyRevision !== registry.revision) {
    made = Object.freeze({ decision: result.decision, relyingParty, device: view, reason: result.reason, policyRevision: registry.revision });
    byResult.set(result, made);
  }
  return made;
}

/** Assertion IDs remembered for one-time use (bounded; each until its validity ends). */
const REPLAY_CACHE_MAX = 100_000;

/** The verified assertion a decision will use up (enforce mode only). */
interface UsedAssertion {
  token?: SamlToken;
  at?: Date;
}

class Engine implements DecisionEngine {
  #registry: Registry;
  readonly #options: DecisionEngineOptions;
  readonly #directory: CachedDeviceDirectory;
  readonly #resolver: DeviceResolver;
  readonly #stores: Readonly<Record<string, AttributeStore>>;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #replay = new ReplayCache({ max: REPLAY_CACHE_MAX });
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
    this.#stores = {
      'Active Directory': createActiveDirectoryStore(options.directory, options.attributeStoreSizeLimit !== undefined ? { sizeLimit: options.attributeStoreSizeLimit } : {}),
    };
    if (options.logRuleWarnings !== false) for (const w of registry.warnings) this.#logger.warn(w.text);
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
    if (request.samlToken === undefined) return this.#decide(request, undefined, false)!;
    // A SAML assertion is used up by a decision that was made, not by one refused as bad input or
    // failed by an outage (the caller may retry those); checked and marked at once, after the await.
    const used: UsedAssertion = {};
    const decision = await this.#decide(request, used, false)!;
    if (used.token !== undefined) this.#replay.use(used.token, used.at!);
    return decision;
  }

  decideNow(request: DecisionRequest): Decision | Promise<Decision> {
    return request.samlToken === undefined ? this.#decide(request, undefined, false)! : this.decide(request);
  }

  decideIfReady(request: DecisionRequest): Decision | undefined {
    if (request.samlToken !== undefined) return undefined;
    const made = this.#decide(request, undefined, true);
    return made instanceof Promise ? undefined : made;
  }

  /**
   * Synchronous up to the first wait: a fresh cache hit evaluated by synchronous rules returns the
   * decision itself, with no promise made; a directory search or an attribute-store query returns a
   * promise. Throws (synchronously) on bad input. `readyOnly`: undefined instead of any wait, and no
   * directory search or store query started.
   */
  #decide(request: DecisionRequest, used: UsedAssertion | undefined, readyOnly: boolean): Decision | Promise<Decision> | undefined {
    if (this.#closed) throw new PolicyError('DG_ERR_POLICY_CLOSED', 'the decision engine is closed');
    const registry = this.#registry;
    if (typeof request.relyingParty !== 'string' || request.relyingParty === '') {
      throw new PolicyError('DG_ERR_POLICY_BAD_REQUEST', 'relyingParty must be a relying party identifier', 'relyingParty');
    }
    const rp = registry.byIdentifier.get(request.relyingParty);
    if (rp === undefined) throw new PolicyError('DG_ERR_POLICY_UNKNOWN_RELYING_PARTY', `no relying party has the identifier "${request.relyingParty}"`, 'relyingParty');
    const at = request.at ?? this.#now();
    const caller = screenCallerClaims(request.samlToken === undefined ? request.claims : this.#samlClaims(registry, rp.summary.identifiers, request, used!));
    const resolveOptions = { at, primarySid: caller.primarySid, identifiers: registry.farm.identifierPresentations };
    if (readyOnly) {
      const ready = this.#resolver.resolveIfReady(request.device, resolveOptions);
      return ready === undefined ? undefined : this.#decideFor(registry, rp, request, caller, ready, true);
    }
    const resolving = this.#resolver.resolve(request.device, resolveOptions);
    // A fresh cache hit resolves synchronously; only a directory search is waited for.
    if (resolving instanceof Promise) return resolving.then((device) => this.#decideFor(registry, rp, request, caller, device, false)!);
    return this.#decideFor(registry, rp, request, caller, resolving, false);
  }

  /** The decision once the device is resolved (synchronous unless a rule queries an attribute store). */
  #decideFor(registry: Registry, rp: LoadedRelyingParty, request: DecisionRequest, caller: ScreenedClaims, device: ResolvedDevice, readyOnly: boolean): Decision | Promise<Decision> | undefined {
    const view = deviceView(device, proofOf(request.device));
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
    const outcome = blockedOutcome(rp.storeGaps, explain, request.includeIssuedClaims === true) ?? runPipelineNow(registry, rp, input, pipelineOptions);
    if (outcome !== undefined) return decisionOf(registry, rp, caller, device, view, relyingParty, outcome);
    if (readyOnly) return undefined;
    return runPipeline(registry, rp, input, pipelineOptions).then((result) => decisionOf(registry, rp, caller, device, view, relyingParty, result));
  }

  /**
   * The verified SAML token's claims (SamlError, 400, on any problem with the token). Caller claims
   * beside a token are refused: an unsigned claim could otherwise pass for the token's (any Issuer).
   * Without a what-if `at`, each assertion is accepted once.
   */
  #samlClaims(registry: Registry, audience: readonly string[], request: DecisionRequest, used: UsedAssertion): readonly Claim[] {
    if (request.claims !== undefined && request.claims.length > 0) {
      throw new SamlError('DG_ERR_SAML_WITH_CLAIMS', 'samlToken and claims cannot be combined: the user\'s claims come from the verified token only', 'claims');
    }
    const now = request.at ?? this.#now();
    const farm = registry.farm;
    const token = parseSamlToken(request.samlToken!, {
      trustedSigners: registry.samlTrustedSigners ?? [],
      now,
      audience,
      ...(farm.samlRecipients !== undefined ? { recipients: farm.samlRecipients } : {}),
    });
    if (request.at === undefined) {
      this.#replay.check(token, now);
      used.token = token;
      used.at = now;
    }
    return token.claims;
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
          if (this.#options.logRuleWarnings !== false) for (const w of next.warnings) this.#logger.warn(w.text);
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
