import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { readOptional } from './read-optional.js';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { buildIssuerTrust } from '../certificate/index.js';
import { compileRuleSet, formatDiagnostic, type CompiledRuleSet } from '../language/index.js';
import { loadTrustedSigners, type TrustedSigner } from '../saml/index.js';
import type { RelyingPartySummary } from './decision-types.js';
import { compileAccessControlPolicy, type CompiledAccessControlPolicy, type CustomAccessControlPolicy } from './access-control-policies.js';
import { loadCustomPolicies } from './custom-policies.js';
import { parseJsonWithPositions, type JsonIssue, type JsonPath } from './json-position.js';
import { loadProblem, type LoadProblem } from './load-problem.js';
import { PolicyLoadError } from './errors.js';
import { parseFarmSettings, type FarmSettings } from './farm-settings.js';
import { parseRelyingPartyConfig } from './relying-party-config.js';
import { decodeText, normalizeTextBytes } from '../text/index.js';
import { relyingPartyStoreGaps, servableStores, storeGapsOf, type RelyingPartyStoreGaps, type StoreGap } from './store-availability.js';

export interface LoadedRuleSet {
  /** Path shown in diagnostics. */
  readonly file: string;
  /** File name, used in labels of unnamed rules ("authorization.rules#2 (line 5)"). */
  readonly name: string;
  readonly ruleSet: CompiledRuleSet;
  /** Rules that call an attribute store devicegate cannot serve (store-availability.ts). */
  readonly storeGaps?: readonly StoreGap[];
}

export interface LoadedRelyingParty {
  readonly summary: RelyingPartySummary;
  readonly authorization?: LoadedRuleSet;
  readonly additionalAuthentication?: LoadedRuleSet;
  readonly issuance?: LoadedRuleSet;
  readonly accessControlPolicy?: CompiledAccessControlPolicy;
  /** Set when its rules call attribute stores devicegate cannot serve (warnings, blocked, skipped issuance). */
  readonly storeGaps?: RelyingPartyStoreGaps;
}

export interface Registry {
  readonly revision: string;
  readonly rulesDir: string;
  readonly farm: FarmSettings;
  /** undefined = pass-through. */
  readonly acceptance?: LoadedRuleSet;
  readonly globalAdditionalAuthentication?: LoadedRuleSet;
  /** DER/PEM contents of farm.json's trustedDeviceIssuers. */
  readonly trustedIssuerCertificates: readonly Buffer[];
  /** farm.json's samlTrustedSigners, read and checked (empty: samlToken is refused). */
  readonly samlTrustedSigners?: readonly TrustedSigner[];
  readonly relyingParties: readonly LoadedRelyingParty[];
  /** Exact identifier -> relying party. */
  readonly byIdentifier: ReadonlyMap<string, LoadedRelyingParty>;
  /** Policies defined in access-control-policies/, by name. */
  readonly customPolicies: ReadonlyMap<string, CustomAccessControlPolicy>;
  /**
   * Warnings of every file (rule diagnostics, policy metadata) and of every relying party whose rules
   * call attribute stores devicegate cannot serve; lint prints them, serve logs them.
   */
  readonly warnings: readonly LoadProblem[];
  /** Names of the unavailable stores issuance rules call (they are skipped). */
  readonly unavailableStores: readonly string[];
}

export interface LoadRegistryOptions {
  /** Directory diagnostics' paths are shown relative to (default process.cwd()). */
  readonly cwd?: string;
  /** Lenient language mode (documentation artifacts accepted with warnings). */
  readonly lenient?: boolean;
  /** `rules lint`: also the warnings only a linter gives (https:// claim types ...). Never changes what loads. */
  readonly lint?: boolean;
}


/** Subdirectories (not starting with '.') of dir, sorted; none when dir does not exist. */
async function subdirectories(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
}

/**
 * Reads and compiles a whole rules/ tree. Every problem in every file is collected (JSON and rule
 * files with file:line:col); any error throws one PolicyLoadError listing them all (never a
 * half-loaded registry). Warnings ride along on the registry (and on the error).
 */
/** A store-availability warning (`file:line:col: warning CODE: message`) as a load problem. */
function storeWarningProblem(text: string): LoadProblem {
  const m = /^(.*?):(\d+):(\d+): warning (\S+): (.*)$/s.exec(text);
  return m
    ? loadProblem({ file: m[1]!, line: Number(m[2]), column: Number(m[3]), severity: 'warning', code: m[4]!, message: m[5]!, text })
    : loadProblem({ file: '', severity: 'warning', message: text, text });
}

export async function loadRegistry(rulesDir: string, options: LoadRegistryOptions = {}): Promise<Registry> {
  const cwd = options.cwd ?? process.cwd();
  const root = resolve(cwd, rulesDir);
  const shown = (abs: string): string => {
    const rel = relative(cwd, abs);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
  };
  const found: LoadProblem[] = [];
  const problem = (abs: string, message: string): void => {
    found.push(loadProblem({ file: shown(abs), severity: 'error', message }));
  };
  const hash = createHash('sha256');
  const remember = (rel: string, bytes: Buffer): void => {
    hash.update(rel).update('\0').update(bytes).update('\0');
  };
  /** Reads a JSON file; its problems are reported at file:line:col. undefined: unreadable or invalid. */
  const readJson = (abs: string, bytes: Buffer): { value: unknown; report: (issues: readonly JsonIssue[], severity?: 'error' | 'warning') => void } | undefined => {
    const text = decodeText(bytes);
    const parsed = parseJsonWithPositions(text);
    if (!parsed.ok) {
      found.push(loadProblem({ file: shown(abs), ...parsed.position, severity: 'error', message: `not valid JSON (${parsed.message})` }));
      return undefined;
    }
    return {
      value: parsed.value,
      report: (issues, severity = 'error') => {
        for (const issue of issues) found.push(loadProblem({ file: shown(abs), ...parsed.locate(issue), severity, message: issue.message }));
      },
    };
  };
  const fail = (): never => {
    const errors = found.filter((p) => p.severity === 'error');
    throw new PolicyLoadError(
      errors.map((p) => p.text),
      found,
    );
  };

  let rootStat;
  try {
    rootStat = await stat(root);
  } catch {
    problem(root, 'rules directory does not exist');
    return fail();
  }
  if (!rootStat.isDirectory()) {
    problem(root, 'not a directory');
    return fail();
  }

  // farm.json (missing = all defaults)
  let farm: FarmSettings | undefined;
  const farmPath = join(root, 'farm.json');
  const farmBytes = await readOptional(farmPath);
  /** A problem with what a farm.json key names (a certificate file ...), shown at that key's value. */
  let farmAt = (_path: JsonPath, message: string): void => problem(farmPath, message);
  if (farmBytes === undefined) farm = parseFarmSettings({}).settings;
  else {
    remember('farm.json', farmBytes);
    const json = readJson(farmPath, farmBytes);
    if (json !== undefined) {
      farmAt = (path, message) => json.report([{ path, message }]);
      const parsed = parseFarmSettings(json.value);
      json.report(parsed.problems);
      farm = parsed.settings;
    }
  }
  const stores = servableStores(farm?.attributeStores ?? ['Active Directory']);

  const compileFile = async (abs: string, rel: string, required: boolean): Promise<LoadedRuleSet | undefined> => {
    const bytes = await readOptional(abs);
    if (bytes === undefined) {
      if (required) problem(abs, 'file not found');
      return undefined;
    }
    remember(rel, bytes);
    const source = decodeText(bytes);
    const file = shown(abs);
    // A store devicegate cannot serve is a warning here; store-availability.ts decides what it means.
    const { ruleSet, diagnostics } = compileRuleSet(source, {
      file,
      lenient: options.lenient ?? false,
      attributeStores: [...stores],
      unknownStoreSeverity: 'warning',
      ...(farm?.evaluationBudget ? { evaluationBudget: farm.evaluationBudget } : {}),
      ...(options.lint === true ? { warnHttpsClaimTypes: true } : {}),
    });
    // ruleSet is undefined iff there is an error; remaining diagnostics are warnings.
    for (const d of diagnostics) {
      // An unknown store is reported per relying party, with what it means there (store-availability.ts).
      if (d.severity !== 'error' && d.code === 'DG_LANG_UNKNOWN_STORE') continue;
      found.push(loadProblem({ file, line: d.start.line, column: d.start.column, severity: d.severity === 'error' ? 'error' : 'warning', code: d.code, message: d.message, text: formatDiagnostic(d, source) }));
    }
    if (ruleSet === undefined) {
      if (!diagnostics.some((d) => d.severity === 'error')) problem(abs, 'does not compile');
      return undefined;
    }
    const storeGaps = storeGapsOf(ruleSet, diagnostics, source);
    return { file, name: basename(abs), ruleSet, ...(storeGaps.length > 0 ? { storeGaps } : {}) };
  };

  const trustedIssuerCertificates: Buffer[] = [];
  const samlTrustedSigners: TrustedSigner[] = [];
  let acceptance: LoadedRuleSet | undefined;
  let globalAdditionalAuthentication: LoadedRuleSet | undefined;
  if (farm !== undefined) {
    for (const [i, ca] of farm.trustedDeviceIssuers.entries()) {
      const abs = resolve(root, ca);
      const bytes = await readOptional(abs);
      if (bytes === undefined) farmAt(['trustedDeviceIssuers', i], `trustedDeviceIssuers file ${shown(abs)} not found`);
      else {
        remember(`ca:${ca}`, bytes);
        trustedIssuerCertificates.push(normalizeTextBytes(bytes));
      }
    }
    if (trustedIssuerCertificates.length > 0) {
      try {
        buildIssuerTrust(trustedIssuerCertificates);
      } catch (error) {
        farmAt(['trustedDeviceIssuers'], `trustedDeviceIssuers: ${(error as Error).message}`);
      }
    }
    for (const [i, { certificate: file, issuers }] of (farm.samlTrustedSigners ?? []).entries()) {
      const abs = resolve(root, file);
      const bytes = await readOptional(abs);
      if (bytes === undefined) farmAt(['samlTrustedSigners', i], `samlTrustedSigners file ${shown(abs)} not found`);
      else {
        remember(`saml:${file}`, bytes);
        try {
          samlTrustedSigners.push(...loadTrustedSigners([{ where: shown(abs), bytes: normalizeTextBytes(bytes), issuers }]));
        } catch (error) {
          farmAt(['samlTrustedSigners', i], `samlTrustedSigners: ${(error as Error).message}`);
        }
      }
    }
    acceptance = await compileFile(resolve(root, farm.acceptanceRules), farm.acceptanceRules, farm.acceptanceRulesExplicit);
    if (farm.additionalAuthenticationRules !== undefined) {
      globalAdditionalAuthentication = await compileFile(resolve(root, farm.additionalAuthenticationRules), farm.additionalAuthenticationRules, true);
    }
  }

  const customPolicies = await loadCustomPolicies(root, shown, found, remember, readJson);

  const relyingParties: LoadedRelyingParty[] = [];
  const byIdentifier = new Map<string, LoadedRelyingParty>();
  const rpRoot = join(root, 'relying-parties');
  for (const slug of await subdirectories(rpRoot)) {
    const dir = join(rpRoot, slug);
    const rel = (name: string): string => `relying-parties/${slug}/${name}`;
    const configPath = join(dir, 'relying-party.json');
    const configBytes = await readOptional(configPath);
    if (configBytes === undefined) problem(configPath, 'file not found');
    else remember(rel('relying-party.json'), configBytes);
    const json = configBytes !== undefined ? readJson(configPath, configBytes) : undefined;
    const parsedConfig = json !== undefined ? parseRelyingPartyConfig(json.value) : undefined;
    if (json !== undefined && parsedConfig !== undefined) json.report(parsedConfig.problems);
    const config = parsedConfig?.config;

    const authzPath = join(dir, 'authorization.rules');
    const hasAuthz = (await readOptional(authzPath)) !== undefined;
    let accessControlPolicy: CompiledAccessControlPolicy | undefined;
    if (json !== undefined && config?.accessControlPolicy !== undefined) {
      if (hasAuthz) {
        json.report([{ path: ['accessControlPolicy'], at: 'key', message: 'authorization.rules and accessControlPolicy are mutually exclusive (as in AD FS); remove one' }]);
      }
      const compiled = compileAccessControlPolicy(config.accessControlPolicy.name, config.accessControlPolicy.parameters, customPolicies);
      json.report(compiled.problems.map((message) => ({ path: /parameter/i.test(message) ? ['accessControlPolicy', 'parameters'] : ['accessControlPolicy', 'name'], message })));
      accessControlPolicy = compiled.policy;
    } else if (config !== undefined && !hasAuthz) {
      problem(dir, 'needs authorization.rules or an accessControlPolicy in relying-party.json');
    }
    const authorization = hasAuthz ? await compileFile(authzPath, rel('authorization.rules'), true) : undefined;
    const additionalAuthentication = await compileFile(join(dir, 'additional-authentication.rules'), rel('additional-authentication.rules'), false);
    const issuance = await compileFile(join(dir, 'issuance.rules'), rel('issuance.rules'), false);
    // The rule files are checked even when relying-party.json is broken: every problem of every file.
    if (config === undefined || json === undefined) continue;

    const summary: RelyingPartySummary = {
      id: config.identifiers[0]!,
      slug,
      name: config.name,
      identifiers: config.identifiers,
      enabled: config.enabled,
      mode: config.mode,
      ...(config.accessControlPolicy !== undefined ? { accessControlPolicy: config.accessControlPolicy } : {}),
    };
    const storeGaps = relyingPartyStoreGaps(config.name, [
      { stage: 'acceptance', loaded: acceptance },
      { stage: 'additional_authentication', loaded: globalAdditionalAuthentication },
      { stage: 'additional_authentication', loaded: additionalAuthentication },
      { stage: 'authorization', loaded: accessControlPolicy === undefined ? authorization : undefined },
      { stage: 'issuance', loaded: issuance },
    ]);
    const rp: LoadedRelyingParty = {
      summary,
      ...(storeGaps !== undefined ? { storeGaps } : {}),
      ...(authorization !== undefined ? { authorization } : {}),
      ...(additionalAuthentication !== undefined ? { additionalAuthentication } : {}),
      ...(issuance !== undefined ? { issuance } : {}),
      ...(accessControlPolicy !== undefined ? { accessControlPolicy } : {}),
    };
    config.identifiers.forEach((id, i) => {
      const other = byIdentifier.get(id);
      if (other !== undefined) json.report([{ path: ['identifiers', i], message: `identifier "${id}" is already used by relying party "${other.summary.slug}"` }]);
      else byIdentifier.set(id, rp);
    });
    relyingParties.push(rp);
  }

  if (farm === undefined || found.some((p) => p.severity === 'error')) return fail();
  const storeWarnings = [...new Set(relyingParties.flatMap((rp) => rp.storeGaps?.warnings ?? []))].map(storeWarningProblem);
  const unavailableStores = [...new Set(relyingParties.flatMap((rp) => rp.issuance?.storeGaps?.map((g) => g.store) ?? []))];
  return {
    revision: hash.digest('hex').slice(0, 12),
    rulesDir: root,
    farm,
    ...(acceptance !== undefined ? { acceptance } : {}),
    ...(globalAdditionalAuthentication !== undefined ? { globalAdditionalAuthentication } : {}),
    trustedIssuerCertificates,
    ...(samlTrustedSigners.length > 0 ? { samlTrustedSigners } : {}),
    relyingParties,
    byIdentifier,
    customPolicies,
    warnings: [...found.filter((p) => p.severity === 'warning'), ...storeWarnings],
    unavailableStores,
  };
}
