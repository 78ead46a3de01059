import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { buildIssuerTrust } from '../certificate/index.js';
import { compileRuleSet, formatDiagnostic, type CompiledRuleSet } from '../language/index.js';
import { loadTrustedSigners, type TrustedSigner } from '../saml/index.js';
import type { RelyingPartySummary } from './decision-types.js';
import { compileAccessControlPolicy, type CompiledAccessControlPolicy } from './access-control-policies.js';
import { PolicyLoadError } from './errors.js';
import { parseFarmSettings, type FarmSettings } from './farm-settings.js';
import { parseRelyingPartyConfig } from './relying-party-config.js';

export interface LoadedRuleSet {
  /** Path shown in diagnostics. */
  readonly file: string;
  /** File name, used in labels of unnamed rules ("authorization.rules#2 (line 5)"). */
  readonly name: string;
  readonly ruleSet: CompiledRuleSet;
}

export interface LoadedRelyingParty {
  readonly summary: RelyingPartySummary;
  readonly authorization?: LoadedRuleSet;
  readonly additionalAuthentication?: LoadedRuleSet;
  readonly issuance?: LoadedRuleSet;
  readonly accessControlPolicy?: CompiledAccessControlPolicy;
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
}

export interface LoadRegistryOptions {
  /** Directory diagnostics' paths are shown relative to (default process.cwd()). */
  readonly cwd?: string;
  /** Lenient language mode (documentation artifacts accepted with warnings). */
  readonly lenient?: boolean;
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Rule files may come from Windows tools: drop a UTF-8 BOM, decode UTF-16 LE with BOM. */
export function decodeText(bytes: Buffer): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Reads and compiles a whole rules/ tree. Every problem in every file is collected; any problem
 * throws one PolicyLoadError listing them all (never a half-loaded registry).
 */
export async function loadRegistry(rulesDir: string, options: LoadRegistryOptions = {}): Promise<Registry> {
  const cwd = options.cwd ?? process.cwd();
  const root = resolve(cwd, rulesDir);
  const shown = (abs: string): string => {
    const rel = relative(cwd, abs);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
  };
  const problems: string[] = [];
  const hash = createHash('sha256');
  const remember = (rel: string, bytes: Buffer): void => {
    hash.update(rel).update('\0').update(bytes).update('\0');
  };

  let rootStat;
  try {
    rootStat = await stat(root);
  } catch {
    throw new PolicyLoadError([`${shown(root)}: rules directory does not exist`]);
  }
  if (!rootStat.isDirectory()) throw new PolicyLoadError([`${shown(root)}: not a directory`]);

  // farm.json (missing = all defaults)
  let farm: FarmSettings | undefined;
  const farmPath = join(root, 'farm.json');
  const farmBytes = await readOptional(farmPath);
  if (farmBytes !== undefined) remember('farm.json', farmBytes);
  let farmJson: unknown = {};
  if (farmBytes !== undefined) {
    try {
      farmJson = JSON.parse(decodeText(farmBytes));
    } catch (error) {
      problems.push(`${shown(farmPath)}: not valid JSON (${(error as Error).message})`);
      farmJson = undefined;
    }
  }
  if (farmJson !== undefined) {
    const parsed = parseFarmSettings(farmJson);
    for (const p of parsed.problems) problems.push(`${shown(farmPath)}: ${p}`);
    farm = parsed.settings;
  }
  const stores = farm?.attributeStores ?? ['Active Directory'];

  const compileFile = async (abs: string, rel: string, required: boolean): Promise<LoadedRuleSet | undefined> => {
    const bytes = await readOptional(abs);
    if (bytes === undefined) {
      if (required) problems.push(`${shown(abs)}: file not found`);
      return undefined;
    }
    remember(rel, bytes);
    const source = decodeText(bytes);
    const file = shown(abs);
    const { ruleSet, diagnostics } = compileRuleSet(source, { file, lenient: options.lenient ?? false, attributeStores: [...stores], ...(farm?.evaluationBudget ? { evaluationBudget: farm.evaluationBudget } : {}) });
    // ruleSet is undefined iff there is an error; remaining diagnostics are warnings.
    if (ruleSet === undefined) {
      for (const d of diagnostics) problems.push(formatDiagnostic(d, source));
      if (diagnostics.length === 0) problems.push(`${file}: does not compile`);
      return undefined;
    }
    return { file, name: basename(abs), ruleSet };
  };

  const trustedIssuerCertificates: Buffer[] = [];
  const samlTrustedSigners: TrustedSigner[] = [];
  let acceptance: LoadedRuleSet | undefined;
  let globalAdditionalAuthentication: LoadedRuleSet | undefined;
  if (farm !== undefined) {
    for (const ca of farm.trustedDeviceIssuers) {
      const abs = resolve(root, ca);
      const bytes = await readOptional(abs);
      if (bytes === undefined) problems.push(`${shown(farmPath)}: trustedDeviceIssuers file ${shown(abs)} not found`);
      else {
        remember(`ca:${ca}`, bytes);
        trustedIssuerCertificates.push(bytes);
      }
    }
    if (trustedIssuerCertificates.length > 0) {
      try {
        buildIssuerTrust(trustedIssuerCertificates);
      } catch (error) {
        problems.push(`${shown(farmPath)}: trustedDeviceIssuers: ${(error as Error).message}`);
      }
    }
    for (const file of farm.samlTrustedSigners ?? []) {
      const abs = resolve(root, file);
      const bytes = await readOptional(abs);
      if (bytes === undefined) problems.push(`${shown(farmPath)}: samlTrustedSigners file ${shown(abs)} not found`);
      else {
        remember(`saml:${file}`, bytes);
        try {
          samlTrustedSigners.push(...loadTrustedSigners([{ where: shown(abs), bytes }]));
        } catch (error) {
          problems.push(`${shown(farmPath)}: samlTrustedSigners: ${(error as Error).message}`);
        }
      }
    }
    acceptance = await compileFile(resolve(root, farm.acceptanceRules), farm.acceptanceRules, farm.acceptanceRulesExplicit);
    if (farm.additionalAuthenticationRules !== undefined) {
      globalAdditionalAuthentication = await compileFile(resolve(root, farm.additionalAuthenticationRules), farm.additionalAuthenticationRules, true);
    }
  }

  const relyingParties: LoadedRelyingParty[] = [];
  const byIdentifier = new Map<string, LoadedRelyingParty>();
  const rpRoot = join(root, 'relying-parties');
  let slugs: string[] = [];
  try {
    slugs = (await readdir(rpRoot, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }

  for (const slug of slugs) {
    const dir = join(rpRoot, slug);
    const rel = (name: string): string => `relying-parties/${slug}/${name}`;
    const configPath = join(dir, 'relying-party.json');
    const configBytes = await readOptional(configPath);
    if (configBytes === undefined) {
      problems.push(`${shown(configPath)}: file not found`);
      continue;
    }
    remember(rel('relying-party.json'), configBytes);
    let json: unknown;
    try {
      json = JSON.parse(decodeText(configBytes));
    } catch (error) {
      problems.push(`${shown(configPath)}: not valid JSON (${(error as Error).message})`);
      continue;
    }
    const { config, problems: configProblems } = parseRelyingPartyConfig(json);
    for (const p of configProblems) problems.push(`${shown(configPath)}: ${p}`);

    const authzPath = join(dir, 'authorization.rules');
    const hasAuthz = (await readOptional(authzPath)) !== undefined;
    let accessControlPolicy: CompiledAccessControlPolicy | undefined;
    if (config?.accessControlPolicy !== undefined) {
      if (hasAuthz) {
        problems.push(`${shown(configPath)}: authorization.rules and accessControlPolicy are mutually exclusive (as in AD FS); remove one`);
      }
      const compiled = compileAccessControlPolicy(config.accessControlPolicy.name, config.accessControlPolicy.parameters);
      for (const p of compiled.problems) problems.push(`${shown(configPath)}: ${p}`);
      accessControlPolicy = compiled.policy;
    } else if (config !== undefined && !hasAuthz) {
      problems.push(`${shown(dir)}: needs authorization.rules or an accessControlPolicy in relying-party.json`);
    }
    const authorization = hasAuthz ? await compileFile(authzPath, rel('authorization.rules'), true) : undefined;
    const additionalAuthentication = await compileFile(join(dir, 'additional-authentication.rules'), rel('additional-authentication.rules'), false);
    const issuance = await compileFile(join(dir, 'issuance.rules'), rel('issuance.rules'), false);
    if (config === undefined) continue;

    const summary: RelyingPartySummary = {
      id: config.identifiers[0]!,
      slug,
      name: config.name,
      identifiers: config.identifiers,
      enabled: config.enabled,
      mode: config.mode,
      ...(config.accessControlPolicy !== undefined ? { accessControlPolicy: config.accessControlPolicy } : {}),
    };
    const rp: LoadedRelyingParty = {
      summary,
      ...(authorization !== undefined ? { authorization } : {}),
      ...(additionalAuthentication !== undefined ? { additionalAuthentication } : {}),
      ...(issuance !== undefined ? { issuance } : {}),
      ...(accessControlPolicy !== undefined ? { accessControlPolicy } : {}),
    };
    for (const id of config.identifiers) {
      const other = byIdentifier.get(id);
      if (other !== undefined) problems.push(`${shown(configPath)}: identifier "${id}" is already used by relying party "${other.summary.slug}"`);
      else byIdentifier.set(id, rp);
    }
    relyingParties.push(rp);
  }

  if (problems.length > 0 || farm === undefined) throw new PolicyLoadError(problems);
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
  };
}
